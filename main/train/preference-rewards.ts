// DPO's metrics as TRL logs them, from summed completion log-probabilities of the policy and the
// reference: each completion's implicit reward β·(log π − log π_ref), the mean reward of chosen and
// rejected, their mean margin, the share of pairs whose chosen reward beats the rejected one
// (preference accuracy), and the mean loss −log σ(margin).
export interface PreferenceMetrics {
  loss: number;
  rewardsChosen: number;
  rewardsRejected: number;
  rewardsMargin: number;
  rewardsAccuracy: number;
  pairs: number;
}

/** Per-pair sums, so that batches add up before the means are taken. */
export class PreferenceTally {
  private loss = 0;
  private chosen = 0;
  private rejected = 0;
  private wins = 0;
  private pairs = 0;

  constructor(readonly beta: number) {}

  /** Log-probabilities of n pairs: chosen then rejected, policy and reference alike. */
  add(policyLogps: ArrayLike<number>, refLogps: ArrayLike<number>): void {
    const n = policyLogps.length / 2;
    for (let i = 0; i < n; i++) {
      const chosen = this.beta * (policyLogps[i] - refLogps[i]);
      const rejected = this.beta * (policyLogps[n + i] - refLogps[n + i]);
      const margin = chosen - rejected;
      this.loss += softplus(-margin);
      this.chosen += chosen;
      this.rejected += rejected;
      if (chosen > rejected) this.wins++;
      this.pairs++;
    }
  }

  metrics(): PreferenceMetrics {
    const n = Math.max(this.pairs, 1);
    return {
      loss: this.loss / n,
      rewardsChosen: this.chosen / n,
      rewardsRejected: this.rejected / n,
      rewardsMargin: (this.chosen - this.rejected) / n,
      rewardsAccuracy: this.wins / n,
      pairs: this.pairs,
    };
  }
}

/** log(1 + eˣ), stable for large |x|. */
function softplus(x: number): number {
  return Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
}
