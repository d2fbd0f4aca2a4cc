# By hand, not run by tests: PEFT references for LoRA on the fused and Conv1D families.
# For each tiny model (hf-tiny from ../shared, or the committed architecture testdata), PEFT wraps
# it with a LoRA on every linear layer of the family (init_lora_weights=False, seeded, so B is not
# zero), saves the adapter with save_pretrained into family-lora/<family>/, and records the logits
# of fixed ids with the adapter applied, the causal-LM loss of those ids (labels = ids, mean over
# the shifted positions) and its gradient for every LoRA tensor (`grad.<module>.lora_A.weight`)
# in family-lora/<family>/logits.safetensors.
#   /tmp/pyref/bin/python main/train/test/make-family-lora-reference.py   (from the repository root)
# Made with torch 2.13, transformers 5.18, peft 0.21.
import os
import sys

import torch
from peft import LoraConfig, get_peft_model
from safetensors.torch import save_file
from transformers import AutoModelForCausalLM

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..'))
SHARED = os.path.join(ROOT, '..', 'shared', 'fixtures', 'hf-tiny')
TESTDATA = os.path.join(ROOT, 'main', 'engine', 'architectures', 'testdata')
OUT = os.path.join(os.path.dirname(__file__), 'family-lora')

FAMILIES = {
    'phi3': (os.path.join(TESTDATA, 'phi3'), ['qkv_proj', 'o_proj', 'gate_up_proj', 'down_proj']),
    'gpt2': (os.path.join(SHARED, 'gpt2'), ['c_attn', 'c_proj', 'c_fc']),
    'gpt_neox': (os.path.join(TESTDATA, 'gpt_neox'), ['query_key_value', 'dense', 'dense_h_to_4h', 'dense_4h_to_h']),
    'bloom': (os.path.join(TESTDATA, 'bloom'), ['query_key_value', 'dense', 'dense_h_to_4h', 'dense_4h_to_h']),
    'mpt': (os.path.join(SHARED, 'mpt'), ['Wqkv', 'out_proj', 'up_proj', 'down_proj']),
}
INPUT_IDS = [[1, 17, 301, 42, 499, 260]]

for family, (model_dir, targets) in FAMILIES.items():
    if not os.path.isdir(model_dir):
        print(f'{family}: {model_dir} is missing, skipped', file=sys.stderr)
        continue
    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32)
    model.eval()
    config = LoraConfig(r=2, lora_alpha=6, lora_dropout=0.0, target_modules=targets, init_lora_weights=False, task_type='CAUSAL_LM')
    peft_model = get_peft_model(model, config)
    out_dir = os.path.join(OUT, family)
    # The base's name rather than this machine's path; the model card PEFT adds is not needed.
    peft_model.peft_config['default'].base_model_name_or_path = f'hearth-testdata/{family}'
    peft_model.save_pretrained(out_dir)
    os.remove(os.path.join(out_dir, 'README.md'))
    ids = torch.tensor(INPUT_IDS)
    output = peft_model(input_ids=ids, labels=ids)
    output.loss.backward()
    grads = {
        'grad.' + name.removeprefix('base_model.model.').replace('.default.weight', '.weight'): param.grad.contiguous()
        for name, param in peft_model.named_parameters()
        if param.requires_grad
    }
    logits = output.logits.detach().contiguous()
    with torch.no_grad(), peft_model.disable_adapter():
        base = peft_model(input_ids=ids).logits
    tensors = {'input_ids': ids, 'logits': logits, 'loss': output.loss.detach().reshape(1), **grads}
    save_file(tensors, os.path.join(out_dir, 'logits.safetensors'), metadata={'format': 'pt'})
    print(f'{family}: max |adapted - base| = {float((logits - base).abs().max()):.4f}')
