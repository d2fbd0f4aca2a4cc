#!/usr/bin/env python3
# BY-HAND CHECK — not run by tests. Loads a Hearth DPO adapter in PEFT over the fp32 base and
# prints, on a preference file, the share of pairs whose chosen answer's implicit reward
# beta·(log π(chosen) − log π_ref(chosen)) beats the rejected answer's, with π_ref the base (the
# adapter disabled) and log-probabilities summed over the completion's tokens, tokenized as TRL's
# DPOTrainer does (chat template for message lists; EOS appended to string completions).
#
#   python main/train/test/peft-dpo-rewards.py BASE_DIR ADAPTER_DIR PREFS.jsonl [BETA]
import json
import sys

import torch
from peft import PeftModel
from transformers import AutoModelForCausalLM, AutoTokenizer


def tokenize(tokenizer, row):
    if isinstance(row['chosen'], list):
        prompt = tokenizer.apply_chat_template(row['prompt'], tokenize=True, add_generation_prompt=True, return_dict=True)['input_ids']
        full = [tokenizer.apply_chat_template(row['prompt'] + row[k], tokenize=True, return_dict=True)['input_ids'] for k in ('chosen', 'rejected')]
    else:
        eos = tokenizer.eos_token
        prompt = tokenizer(text=row['prompt'])['input_ids']
        full = [tokenizer(text=row['prompt'] + (row[k] if row[k].endswith(eos) else row[k] + eos))['input_ids'] for k in ('chosen', 'rejected')]
    return len(prompt), full


def completion_logp(model, ids, prompt_length):
    with torch.no_grad():
        logits = model(input_ids=torch.tensor([ids])).logits[0, :-1].float()
    targets = torch.tensor(ids[1:])
    per_token = torch.log_softmax(logits, dim=-1).gather(-1, targets.unsqueeze(-1)).squeeze(-1)
    return per_token[prompt_length - 1:].sum().item()


def main():
    base_dir, adapter_dir, data = sys.argv[1:4]
    beta = float(sys.argv[4]) if len(sys.argv) > 4 else 0.1
    tokenizer = AutoTokenizer.from_pretrained(base_dir)
    model = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(base_dir, dtype=torch.float32), adapter_dir).eval()
    rows = [json.loads(line) for line in open(data) if line.strip()]
    wins, margins = 0, []
    for row in rows:
        prompt_length, (chosen, rejected) = tokenize(tokenizer, row)
        policy = [completion_logp(model, ids, prompt_length) for ids in (chosen, rejected)]
        with model.disable_adapter():
            ref = [completion_logp(model, ids, prompt_length) for ids in (chosen, rejected)]
        reward_chosen, reward_rejected = (beta * (p - r) for p, r in zip(policy, ref))
        wins += reward_chosen > reward_rejected
        margins.append(reward_chosen - reward_rejected)
    print(f'pairs={len(rows)} preference_accuracy={wins / len(rows):.4f} reward_margin={sum(margins) / len(margins):.6f} min_margin={min(margins):.6f}')


if __name__ == '__main__':
    main()
