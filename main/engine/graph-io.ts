// The names and shapes every built decoder graph exposes; the builder writes them and the
// runtime feeds them. Shapes use symbolic dims: batch, sequence (new tokens this call),
// total_sequence (past + new), past_sequence.
//
// Inputs
//   input_ids            int64   [batch, sequence]
//   attention_mask       int64   [batch, total_sequence]   1 = real token; rows are right-padded
//   position_ids         int64   [batch, sequence]         cumsum(mask) - 1 for the new tokens
//   num_logits_to_keep   int64   []                        0 = every position, k = the last k
//   past_key_values.{i}.key|value   kv dtype [batch, kv_heads, past_sequence, head_dim]
// Outputs
//   logits               float32 [batch, kept, vocab]
//   present.{i}.key|value           kv dtype [batch, kv_heads, present_sequence, head_dim]
//
// The KV cache: fused attention (GroupQueryAttention) accepts either a growing cache (present =
// past + new) or one pre-allocated buffer bound as both past and present (written in place,
// valid length taken from attention_mask). Reference attention only grows.

export const INPUT_IDS = 'input_ids';
export const ATTENTION_MASK = 'attention_mask';
export const POSITION_IDS = 'position_ids';
export const NUM_LOGITS_TO_KEEP = 'num_logits_to_keep';
export const LOGITS = 'logits';

export const pastKeyName = (layer: number): string => `past_key_values.${layer}.key`;
export const pastValueName = (layer: number): string => `past_key_values.${layer}.value`;
export const presentKeyName = (layer: number): string => `present.${layer}.key`;
export const presentValueName = (layer: number): string => `present.${layer}.value`;
