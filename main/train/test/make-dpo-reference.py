#!/usr/bin/env python3
# BY-HAND REFERENCE MAKER — not run by tests (they read its output, dpo-reference.safetensors and
# dpo-reference.json beside it). It needs torch, transformers, peft and trl (made with torch 2.13,
# transformers 5.18, peft 0.21, trl 1.13) and ../shared/fixtures (shakespeare-5m and lora/).
#
# What it computes, with TRL's own DPOTrainer (sigmoid loss, beta 0.1, the reference policy being
# the PEFT model with its adapter disabled): starting from ../shared/fixtures/lora/adapter_init
# (r=4, alpha=8, q_proj/v_proj, lora_B non-zero so that the policy differs from the reference),
# on fixed batches of 4 pairs, the tokenized batch (TRL's concatenated chosen-then-rejected rows,
# right-padded, with its completion mask), the summed completion log-probabilities of policy and
# reference, the loss, and (conversational batch) the gradient of every LoRA tensor at step 0:
#   conversational: the first 4 lines of greet_prefs_train.jsonl (message lists, chat template);
#   standard:       the same 4 pairs as strings (prompt "<user text>\n"; TRL appends EOS).
#
# Run:  python main/train/test/make-dpo-reference.py   (from the repository root)
import json
import os
import sys
import tempfile

import torch
from datasets import Dataset
from peft import LoraConfig, set_peft_model_state_dict
from safetensors.torch import load_file, save_file
from transformers import AutoModelForCausalLM, AutoTokenizer
from trl import DPOConfig, DPOTrainer

HERE = os.path.dirname(os.path.abspath(__file__))
SHARED = os.path.normpath(os.path.join(HERE, '..', '..', '..', '..', 'shared', 'fixtures'))
MODEL = os.path.join(SHARED, 'shakespeare-5m')
LORA = os.path.join(SHARED, 'lora')
BETA = 0.1
PAIRS = 4


def conversational_rows():
    with open(os.path.join(LORA, 'greet_prefs_train.jsonl')) as f:
        return [json.loads(line) for line in f if line.strip()][:PAIRS]


def standard_rows(conversational):
    # The same pairs as plain strings: the user's text and a newline, then each answer.
    return [{'prompt': row['prompt'][0]['content'] + '\n', 'chosen': row['chosen'][0]['content'], 'rejected': row['rejected'][0]['content']} for row in conversational]


def reference_for(rows, prefix, tokenizer):
    torch.manual_seed(0)
    base = AutoModelForCausalLM.from_pretrained(MODEL, dtype=torch.float32)
    init = os.path.join(LORA, 'adapter_init')
    peft_config = LoraConfig.from_pretrained(init)
    peft_config.inference_mode = False
    with tempfile.TemporaryDirectory() as out:
        args = DPOConfig(output_dir=out, beta=BETA, per_device_train_batch_size=PAIRS, report_to=[], max_length=1024, seed=0, bf16=False, use_cpu=True)
        # A new adapter through peft_config (as a DPO run starts), so that TRL's reference is the
        # model with the adapter disabled; then adapter_init's weights, whose non-zero B makes the
        # policy differ from the reference at step 0. (Given a PeftModel with a loaded adapter, TRL
        # would instead copy that adapter as a frozen "ref" adapter.)
        trainer = DPOTrainer(model=base, args=args, train_dataset=Dataset.from_list(rows), processing_class=tokenizer, peft_config=peft_config)
        state = load_file(os.path.join(init, 'adapter_model.safetensors'))
        result = set_peft_model_state_dict(trainer.model, state)
        assert not result.unexpected_keys, result.unexpected_keys
        assert 'ref' not in trainer.model.peft_config
        loaded = dict(trainer.model.named_parameters())['base_model.model.model.layers.0.self_attn.q_proj.lora_B.default.weight']
        assert torch.equal(loaded.detach(), state['base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight'])
        examples = [trainer.train_dataset[i] for i in range(PAIRS)]
        batch = trainer.data_collator(examples)
        trainer.model.train()
        trainer.model.zero_grad()
        loss = trainer.compute_loss(trainer.model, batch)
        loss.backward()
        metrics = {k: v[-1] for k, v in trainer._metrics['train'].items()}
        # The summed completion log-probabilities, recomputed the way _compute_loss does, for the fixture.
        with torch.no_grad():
            mask = batch['completion_mask'][:, 1:].bool()
            labels = batch['input_ids'][:, 1:]

            def logps(logits):
                per_token = torch.log_softmax(logits[:, :-1].float(), dim=-1).gather(-1, labels.unsqueeze(-1)).squeeze(-1)
                return (per_token * mask).sum(dim=1)

            policy = logps(trainer.model(input_ids=batch['input_ids'], attention_mask=batch['attention_mask']).logits)
            with trainer.model.disable_adapter():
                ref = logps(trainer.model(input_ids=batch['input_ids'], attention_mask=batch['attention_mask']).logits)
        tensors = {
            f'{prefix}.input_ids': batch['input_ids'].to(torch.int64).contiguous(),
            f'{prefix}.attention_mask': batch['attention_mask'].to(torch.int64).contiguous(),
            f'{prefix}.completion_mask': batch['completion_mask'].to(torch.int64).contiguous(),
            f'{prefix}.policy_logps': policy.float().contiguous(),
            f'{prefix}.ref_logps': ref.float().contiguous(),
        }
        for name, param in trainer.model.named_parameters():
            # Gradients of the conversational batch only, to keep the fixture small; the standard
            # batch checks tokenization, log-probabilities and the loss.
            if param.requires_grad and prefix == 'conversational':
                # base_model.model.model.layers.0.self_attn.q_proj.lora_A.default.weight -> model.layers.0.self_attn.q_proj.lora_A.weight
                short = name.removeprefix('base_model.model.').replace('.default.', '.')
                tensors[f'{prefix}.grad0.{short}'] = param.grad.detach().float().contiguous()
        chosen, rejected = policy.chunk(2)
        ref_chosen, ref_rejected = ref.chunk(2)
        check = -torch.nn.functional.logsigmoid(BETA * ((chosen - ref_chosen) - (rejected - ref_rejected))).mean()
        assert abs(check.item() - loss.item()) < 1e-6, (check.item(), loss.item())
        return tensors, {'loss': loss.item(), 'metrics': metrics, 'grads': sum(1 for k in tensors if '.grad0.' in k)}


def main():
    tokenizer = AutoTokenizer.from_pretrained(MODEL)
    conversational = conversational_rows()
    standard = standard_rows(conversational)
    tensors = {}
    summary = {
        'made_by': 'main/train/test/make-dpo-reference.py (by hand; tests only read the output)',
        'versions': {'torch': torch.__version__, 'transformers': __import__('transformers').__version__, 'peft': __import__('peft').__version__, 'trl': __import__('trl').__version__},
        'beta': BETA,
        'adapter': '../shared/fixtures/lora/adapter_init',
        'batches': {},
    }
    for prefix, rows in (('conversational', conversational), ('standard', standard)):
        t, info = reference_for(rows, prefix, tokenizer)
        tensors.update(t)
        summary['batches'][prefix] = {'rows': rows, **info}
        print(prefix, info['loss'], info['metrics'], file=sys.stderr)
    save_file(tensors, os.path.join(HERE, 'dpo-reference.safetensors'))
    os.chmod(os.path.join(HERE, 'dpo-reference.safetensors'), 0o644)
    with open(os.path.join(HERE, 'dpo-reference.json'), 'w') as f:
        json.dump(summary, f, indent=1)
        f.write('\n')


if __name__ == '__main__':
    main()
