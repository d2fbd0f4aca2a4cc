"""Make the tiny random Hugging Face reference models in main/engine/architectures/testdata/.

Each output folder holds what `save_pretrained` writes (config.json, generation_config.json and
model.safetensors, or shards plus model.safetensors.index.json) and reference.safetensors with the
same keys as /work/shared/fixtures/hf-tiny (see that README):
  input_ids [1,12], logits_full [1,12,V], logits_cached (8-token prefill, then 4 single steps with
  the KV cache), batch_input_ids / batch_attention_mask / batch_position_ids [2,10] and batch_logits
  (row 1 LEFT-padded by 3), greedy_prompt [1,6] and greedy_ids [1,20] (20 greedy tokens, KV cache).
Ids are int64, logits float32. Everything runs in fp32 on the CPU with eager attention and fixed
seeds, so re-running gives the same files (up to the transformers version written in config.json).

The product never runs Python: these files are committed test data. To regenerate them:

  python3 -m venv /tmp/refvenv && /tmp/refvenv/bin/pip install torch transformers safetensors
  cd <repo> && /tmp/refvenv/bin/python scripts/make-references.py            # all models
  cd <repo> && /tmp/refvenv/bin/python scripts/make-references.py mistral    # only some

The script checks, per model, that logits_cached equals logits_full, that the padded batch row
equals the same tokens run unpadded, and that greedy generation equals argmax over full forward
passes; it prints the max differences and stops with an error if one is too large.
"""

import argparse
import inspect
import os
import shutil
import sys

import torch
import transformers
from safetensors.torch import save_file
from transformers import (
    AutoModelForCausalLM,
    BloomConfig,
    GemmaConfig,
    GPTNeoXConfig,
    LlamaConfig,
    MistralConfig,
    Phi3Config,
    Qwen3Config,
)

VOCAB = 512
# Weights are drawn with this std (bigger than HF's 0.02) so that logits are far from zero and the
# greedy argmax is not decided by rounding noise.
INIT_STD = 0.08
TOLERANCE = 1e-4
# Greedy tokens must win by this much at every step (checked without the cache), so that an engine
# agreeing to ~1e-5 picks the same ids; seeds are tried in a fixed order until one does.
MIN_GREEDY_MARGIN = 0.01
# A greedy run stuck on one token would not show a broken KV cache; ask for some variety.
MIN_GREEDY_DISTINCT = 6
SEED_ATTEMPTS = 50
OUT_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'main', 'engine', 'architectures', 'testdata')

# Special ids shared by all models (as in hf-tiny); random tokens are drawn from [3, VOCAB).
SPECIAL_IDS = dict(bos_token_id=1, eos_token_id=2, pad_token_id=0)


def llama_config(**overrides):
    settings = dict(
        vocab_size=VOCAB, hidden_size=64, intermediate_size=176, num_hidden_layers=2,
        num_attention_heads=4, num_key_value_heads=2, head_dim=16, max_position_embeddings=256,
        rms_norm_eps=1e-6, tie_word_embeddings=False, initializer_range=INIT_STD, **SPECIAL_IDS,
    )
    settings.update(overrides)
    return LlamaConfig(**settings)


def gpt_neox_config(**overrides):
    settings = dict(
        vocab_size=VOCAB, num_hidden_layers=2, num_attention_heads=4, max_position_embeddings=256,
        tie_word_embeddings=False, initializer_range=INIT_STD, layer_norm_eps=1e-5,
        hidden_act='gelu', **SPECIAL_IDS,
    )
    settings.update(overrides)
    return GPTNeoXConfig(**settings)


# name -> (what it exercises, config factory, options). Options: save_kwargs for save_pretrained;
# layer_std, the std of every matrix but the embedding (default INIT_STD). Gemma (embeddings scaled by
# sqrt(hidden)) and Bloom (LayerNorm on the embeddings) have tied heads whose logits are dominated by
# the input token's own embedding, so greedy decoding repeats one token forever unless the layers
# weigh more.
MODELS = {
    'mistral': (
        'sliding-window attention (window 5 < 12 tokens), GQA 4/2, untied head',
        lambda: MistralConfig(
            vocab_size=VOCAB, hidden_size=64, intermediate_size=176, num_hidden_layers=2,
            num_attention_heads=4, num_key_value_heads=2, head_dim=16, max_position_embeddings=256,
            rms_norm_eps=1e-6, sliding_window=5, tie_word_embeddings=False,
            initializer_range=INIT_STD, **SPECIAL_IDS,
        ),
        {},
    ),
    'qwen3': (
        'per-head q_norm/k_norm RMSNorm before RoPE, head_dim 16, GQA 4/2, no qkv bias, tied head',
        lambda: Qwen3Config(
            vocab_size=VOCAB, hidden_size=64, intermediate_size=176, num_hidden_layers=2,
            num_attention_heads=4, num_key_value_heads=2, head_dim=16, max_position_embeddings=256,
            rms_norm_eps=1e-6, tie_word_embeddings=True, initializer_range=INIT_STD, **SPECIAL_IDS,
        ),
        {},
    ),
    'phi3': (
        'fused qkv_proj [q|k|v] and gate_up_proj [gate|up], GQA 4/2, default rope, untied head',
        lambda: Phi3Config(
            vocab_size=VOCAB, hidden_size=64, intermediate_size=176, num_hidden_layers=2,
            num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=256,
            original_max_position_embeddings=256, rms_norm_eps=1e-5, tie_word_embeddings=False,
            initializer_range=INIT_STD, **SPECIAL_IDS,
        ),
        {},
    ),
    'gemma': (
        'RMSNorm with (1 + weight), embeddings scaled by sqrt(hidden), gelu_pytorch_tanh, MQA 4/1, '
        'head_dim 16, tied head',
        lambda: GemmaConfig(
            vocab_size=VOCAB, hidden_size=64, intermediate_size=176, num_hidden_layers=2,
            num_attention_heads=4, num_key_value_heads=1, head_dim=16, max_position_embeddings=256,
            rms_norm_eps=1e-6, hidden_activation='gelu_pytorch_tanh', tie_word_embeddings=True,
            initializer_range=INIT_STD, **SPECIAL_IDS,
        ),
        {'layer_std': 0.16},
    ),
    'bloom': (
        'ALiBi, LayerNorm after the embeddings, fused query_key_value interleaved per head, '
        'biases everywhere, tied head',
        lambda: BloomConfig(
            vocab_size=VOCAB, hidden_size=64, n_layer=2, n_head=4, layer_norm_epsilon=1e-5,
            tie_word_embeddings=True, initializer_range=INIT_STD, **SPECIAL_IDS,
        ),
        {'layer_std': 0.24},
    ),
    'gpt_neox': (
        'partial rotary (rotary_pct 0.25 of head_dim 32 = 8 dims), parallel residual, fused '
        'query_key_value interleaved per head, untied embed_out',
        lambda: gpt_neox_config(
            hidden_size=128, intermediate_size=128,
            rope_parameters={'rope_type': 'default', 'rope_theta': 10000.0, 'partial_rotary_factor': 0.25},
            use_parallel_residual=True,
        ),
        {},
    ),
    'gpt_neox_seq': (
        'partial rotary (rotary_pct 0.5 of head_dim 16 = 8 dims), sequential residual '
        '(use_parallel_residual false), untied embed_out',
        lambda: gpt_neox_config(
            hidden_size=64, intermediate_size=176,
            rope_parameters={'rope_type': 'default', 'rope_theta': 10000.0, 'partial_rotary_factor': 0.5},
            use_parallel_residual=False,
        ),
        {},
    ),
    'llama3_rope': (
        'llama3 rope scaling (factor 8, low 1, high 4, original_max_position_embeddings 32: at head_dim '
        '16 frequency 0 is kept, 1 is smoothed and 2..7 are divided by 8), GQA 4/2, untied head',
        lambda: llama_config(rope_parameters={
            'rope_type': 'llama3', 'rope_theta': 10000.0, 'factor': 8.0, 'low_freq_factor': 1.0,
            'high_freq_factor': 4.0, 'original_max_position_embeddings': 32,
        }),
        {},
    ),
    'llama_linear_rope': (
        'linear rope scaling (positions divided by factor 2), GQA 4/2, untied head',
        lambda: llama_config(rope_parameters={'rope_type': 'linear', 'rope_theta': 10000.0, 'factor': 2.0}),
        {},
    ),
    'llama_sharded': (
        'a llama saved in several shards with model.safetensors.index.json, untied head',
        lambda: llama_config(),
        {'save_kwargs': {'max_shard_size': '200KB'}},
    ),
}


def randomise_weights(model, model_type, layer_std=INIT_STD):
    """Draw every weight again so that norms and biases are not 1 and 0 (mistakes then show)."""
    embedding = model.get_input_embeddings().weight
    for name, param in model.named_parameters():
        with torch.no_grad():
            if param.ndim == 1 and name.endswith('bias'):
                param.copy_(0.1 * torch.randn_like(param))
            elif param.ndim == 1:
                # A 1-D weight is a norm's scale; Gemma's RMSNorm multiplies by (1 + weight).
                offset = 0.0 if model_type == 'gemma' else 1.0
                param.copy_(offset + 0.1 * torch.randn_like(param))
            elif param is embedding:
                param.copy_(INIT_STD * torch.randn_like(param))
            else:
                param.copy_(layer_std * torch.randn_like(param))


def accepts_position_ids(model):
    return 'position_ids' in inspect.signature(model.forward).parameters


def cached_logits(model, input_ids, prefill):
    """Prefill `prefill` tokens, then feed the rest one at a time through the KV cache."""
    out = model(input_ids=input_ids[:, :prefill], attention_mask=torch.ones_like(input_ids[:, :prefill]),
                use_cache=True)
    logits = [out.logits]
    cache = out.past_key_values
    for i in range(prefill, input_ids.shape[1]):
        out = model(input_ids=input_ids[:, i:i + 1], attention_mask=torch.ones_like(input_ids[:, :i + 1]),
                    past_key_values=cache, use_cache=True)
        logits.append(out.logits)
        cache = out.past_key_values
    return torch.cat(logits, dim=1)


def greedy_without_cache(model, prompt, steps):
    """Argmax over full forward passes: checks generate() and reports the smallest top-2 margin."""
    ids = prompt
    margin = float('inf')
    for _ in range(steps):
        logits = model(input_ids=ids, use_cache=False).logits[0, -1]
        top2 = torch.topk(logits, 2).values
        margin = min(margin, float(top2[0] - top2[1]))
        ids = torch.cat([ids, logits.argmax().view(1, 1)], dim=1)
    return ids[:, prompt.shape[1]:], margin


def make_reference(model, config, seed):
    generator = torch.Generator().manual_seed(seed)

    def random_tokens(*shape):
        return torch.randint(3, VOCAB, shape, generator=generator, dtype=torch.int64)

    input_ids = random_tokens(1, 12)
    logits_full = model(input_ids=input_ids, use_cache=False).logits
    logits_cached = cached_logits(model, input_ids, prefill=8)

    pad = config.pad_token_id
    batch_input_ids = random_tokens(2, 10)
    batch_input_ids[1, :3] = pad
    batch_attention_mask = torch.ones(2, 10, dtype=torch.int64)
    batch_attention_mask[1, :3] = 0
    batch_position_ids = (batch_attention_mask.cumsum(-1) - 1).masked_fill(batch_attention_mask == 0, 1)
    batch_kwargs = dict(input_ids=batch_input_ids, attention_mask=batch_attention_mask, use_cache=False)
    if accepts_position_ids(model):
        batch_kwargs['position_ids'] = batch_position_ids
    batch_logits = model(**batch_kwargs).logits
    row0_alone = model(input_ids=batch_input_ids[:1], use_cache=False).logits
    row1_alone = model(input_ids=batch_input_ids[1:, 3:], use_cache=False).logits

    # As in hf-tiny, the greedy prompt is the start of input_ids.
    greedy_prompt = input_ids[:, :6].clone()
    generated = model.generate(
        input_ids=greedy_prompt, attention_mask=torch.ones_like(greedy_prompt), do_sample=False,
        max_new_tokens=20, min_new_tokens=20, use_cache=True,
    )
    greedy_ids = generated[:, greedy_prompt.shape[1]:].to(torch.int64)
    greedy_check, margin = greedy_without_cache(model, greedy_prompt, 20)

    checks = {
        'cached vs full': (logits_cached - logits_full).abs().max().item(),
        'batch row 0 vs alone': (batch_logits[:1] - row0_alone).abs().max().item(),
        'batch row 1 (padded) vs alone': (batch_logits[1:, 3:] - row1_alone).abs().max().item(),
    }
    tensors = dict(
        input_ids=input_ids, logits_full=logits_full, logits_cached=logits_cached,
        batch_input_ids=batch_input_ids, batch_attention_mask=batch_attention_mask,
        batch_position_ids=batch_position_ids, batch_logits=batch_logits,
        greedy_prompt=greedy_prompt, greedy_ids=greedy_ids,
    )
    tensors = {k: v.detach().contiguous() for k, v in tensors.items()}
    return tensors, checks, bool(torch.equal(greedy_ids, greedy_check)), margin


def sliding_window_reach(model, seq_len=12):
    """Last position whose logits change when token 0 changes: shows how far the window reaches."""
    generator = torch.Generator().manual_seed(1234)
    ids = torch.randint(3, VOCAB, (1, seq_len), generator=generator)
    changed = ids.clone()
    changed[0, 0] = 3 if ids[0, 0] != 3 else 4
    diff = (model(input_ids=ids).logits - model(input_ids=changed).logits).abs().amax(-1)[0]
    moved = (diff > 1e-6).nonzero().flatten().tolist()
    return max(moved)


def build(name, base_seed, out_root):
    """Draw the model with the first seed whose greedy run is not decided by a near-tie, then save it."""
    description, make_config, options = MODELS[name]
    for attempt in range(SEED_ATTEMPTS):
        seed = base_seed + 100 * attempt
        torch.manual_seed(seed)
        config = make_config()
        model = AutoModelForCausalLM.from_config(config, attn_implementation='eager', dtype=torch.float32)
        randomise_weights(model, config.model_type, options.get('layer_std', INIT_STD))
        model.eval()
        tensors, checks, greedy_ok, margin = make_reference(model, config, seed)
        distinct = len(set(tensors['greedy_ids'].flatten().tolist()))
        if margin >= MIN_GREEDY_MARGIN and distinct >= MIN_GREEDY_DISTINCT:
            break
    else:
        raise SystemExit(f'{name}: no seed in {SEED_ATTEMPTS} tries gives a greedy margin >= {MIN_GREEDY_MARGIN}'
                         f' and {MIN_GREEDY_DISTINCT} distinct greedy tokens')

    failed = [k for k, v in checks.items() if v > TOLERANCE]
    if failed or not greedy_ok:
        raise SystemExit(f'{name}: reference checks failed: {failed or "greedy ids differ from argmax"}')

    out_dir = os.path.join(out_root, name)
    if os.path.isdir(out_dir):
        shutil.rmtree(out_dir)
    model.save_pretrained(out_dir, **options.get('save_kwargs', {}))
    save_file(tensors, os.path.join(out_dir, 'reference.safetensors'))

    extra = ''
    if name == 'mistral':
        reach = sliding_window_reach(model)
        extra = f' token-0 change reaches position {reach} (2 layers, window {config.sliding_window})'
    size = sum(os.path.getsize(os.path.join(out_dir, f)) for f in os.listdir(out_dir))
    print(f'{name:18s} seed {seed} ' + ' '.join(f'{k}: {v:.2e}' for k, v in checks.items())
          + f' greedy==argmax: {greedy_ok} min top-2 margin: {margin:.3f} distinct greedy ids: {distinct}'
          + f' logits std: {tensors["logits_full"].std().item():.3f} dir {size / 1024:.0f} KiB' + extra)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('names', nargs='*', help=f'models to make (default all): {", ".join(MODELS)}')
    parser.add_argument('--out', default=OUT_DIR, help='output folder (default: %(default)s)')
    args = parser.parse_args()
    unknown = [n for n in args.names if n not in MODELS]
    if unknown:
        sys.exit(f'unknown model(s) {unknown}; choose from {list(MODELS)}')
    torch.set_grad_enabled(False)
    print(f'torch {torch.__version__}, transformers {transformers.__version__}')
    for index, name in enumerate(MODELS):
        if not args.names or name in args.names:
            build(name, base_seed=1000 + index, out_root=args.out)


if __name__ == '__main__':
    main()
