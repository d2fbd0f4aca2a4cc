// One self-attention block: projections, optional per-head q/k norm (Qwen3), rotary positions,
// then either fused GroupQueryAttention (flash/tiled kernels, KV cache in place or growing,
// ALiBi through attention_bias) or the reference decomposition that materialises the
// [batch, heads, new, total] score matrix. The reference path exists so the benchmark can
// show that the fused one never allocates n x n.
import { attr } from '../onnx/graph.ts';
import { pastKeyName, pastValueName, presentKeyName, presentValueName } from '../graph-io.ts';
import type { BuildContext } from './build-context.ts';
import { emitLinear } from './linear.ts';
import { emitNorm } from './norm.ts';
import type { SharedValues } from './shared-values.ts';

export async function emitAttention(ctx: BuildContext, shared: SharedValues, layer: number, x: string): Promise<string> {
  const { g, spec } = ctx;
  const { numHeads, numKvHeads } = spec.attention;
  const prefix = `/model/layers.${layer}/attn`;
  const project = async (which: 'q' | 'k' | 'v') =>
    emitLinear(ctx, x, `${prefix}/${which}_proj`, {
      weight: await ctx.requireWeight(`layers.${layer}.${which}.weight`),
      bias: spec.attention.qkvBias ? await ctx.weight(`layers.${layer}.${which}.bias`) : null,
    });
  let q = await project('q');
  let k = await project('k');
  const v = await project('v');

  if (spec.attention.qkNorm) {
    q = await emitHeadNorm(ctx, q, `${prefix}/q_norm`, numHeads, layer, 'q');
    k = await emitHeadNorm(ctx, k, `${prefix}/k_norm`, numKvHeads, layer, 'k');
  }
  if (spec.positions.kind === 'rope') {
    q = emitRotary(ctx, shared, q, numHeads, `${prefix}/q_rotary`);
    k = emitRotary(ctx, shared, k, numKvHeads, `${prefix}/k_rotary`);
  }

  const pastKey = pastKeyName(layer);
  const pastValue = pastValueName(layer);
  let attended: string;
  if (ctx.attention === 'fused') {
    const bias = spec.positions.kind === 'alibi' ? shared.alibiBias : '';
    const inputs = [q, k, v, pastKey, pastValue, shared.seqlensK, shared.totalSequenceLength, '', '', '', bias];
    while (inputs[inputs.length - 1] === '') inputs.pop();
    [attended] = g.node(
      'GroupQueryAttention',
      inputs,
      {
        num_heads: attr.int(numHeads),
        kv_num_heads: attr.int(numKvHeads),
        scale: attr.float(spec.attention.scale),
        local_window_size: attr.int(spec.attention.slidingWindow ?? -1),
        do_rotary: attr.int(0),
      },
      { domain: 'com.microsoft', outputs: [`${prefix}/gqa_output`, presentKeyName(layer), presentValueName(layer)], name: `${prefix}/GroupQueryAttention` },
    );
  } else {
    attended = emitReferenceAttention(ctx, shared, layer, q, k, v);
  }

  return emitLinear(ctx, attended, `${prefix}/o_proj`, {
    weight: await ctx.requireWeight(`layers.${layer}.o.weight`),
    bias: spec.attention.outBias ? await ctx.weight(`layers.${layer}.o.bias`) : null,
  });
}

async function emitHeadNorm(ctx: BuildContext, x: string, name: string, heads: number, layer: number, which: 'q' | 'k'): Promise<string> {
  const { g, spec } = ctx;
  const perHead = g.op('Reshape', [x, g.int64s([0, 0, heads, spec.attention.headDim], [4])]);
  const weight = await ctx.requireWeight(`layers.${layer}.${which}Norm.weight`);
  const normed = emitNorm(ctx, perHead, name, { weight, bias: null });
  return g.op('Reshape', [normed, g.int64s([0, 0, heads * spec.attention.headDim], [3])]);
}

function emitRotary(ctx: BuildContext, shared: SharedValues, x: string, heads: number, name: string): string {
  const { g, spec } = ctx;
  if (spec.positions.kind !== 'rope') return x;
  const { cos, sin } = shared.rotary;
  const attributes: Record<string, ReturnType<typeof attr.int>> = { interleaved: attr.int(0), num_heads: attr.int(heads) };
  if (spec.positions.rotaryDim !== spec.attention.headDim) attributes.rotary_embedding_dim = attr.int(spec.positions.rotaryDim);
  return g.op('RotaryEmbedding', [x, shared.positionIds, cos, sin], attributes, { domain: 'com.microsoft', name: `${name}/RotaryEmbedding` });
}

function emitReferenceAttention(ctx: BuildContext, shared: SharedValues, layer: number, q: string, k: string, v: string): string {
  const { g, spec } = ctx;
  const { numHeads, numKvHeads, headDim } = spec.attention;
  const prefix = `/model/layers.${layer}/attn/reference`;
  const toHeads = (x: string, heads: number) =>
    g.op('Transpose', [g.op('Reshape', [x, g.int64s([0, 0, heads, headDim], [4])])], { perm: attr.ints([0, 2, 1, 3]) });
  const queries = toHeads(q, numHeads);
  const keys = g.op('Concat', [pastKeyName(layer), toHeads(k, numKvHeads)], { axis: attr.int(2) }, { outputs: [presentKeyName(layer)] });
  const values = g.op('Concat', [pastValueName(layer), toHeads(v, numKvHeads)], { axis: attr.int(2) }, { outputs: [presentValueName(layer)] });
  const repeatKv = (x: string) => {
    const group = numHeads / numKvHeads;
    if (group === 1) return x;
    const tiled = g.op('Tile', [g.op('Unsqueeze', [x, g.int64s([2], [1])]), g.int64s([1, 1, group, 1, 1], [5])]);
    return g.op('Reshape', [tiled, g.int64s([0, numHeads, -1, headDim], [4])]);
  };
  const keysT = g.op('Transpose', [repeatKv(keys)], { perm: attr.ints([0, 1, 3, 2]) });
  let scores = g.op('Mul', [g.op('MatMul', [queries, keysT]), ctx.floatConstant([spec.attention.scale], [])], {}, { name: `${prefix}/scores` });
  if (spec.positions.kind === 'alibi') scores = g.op('Add', [scores, shared.alibiRow]);
  const probs = g.op('Softmax', [g.op('Add', [scores, shared.referenceMask])], { axis: attr.int(-1) }, { name: `${prefix}/Softmax` });
  const context = g.op('MatMul', [probs, repeatKv(values)]);
  const merged = g.op('Transpose', [context], { perm: attr.ints([0, 2, 1, 3]) });
  return g.op('Reshape', [merged, g.int64s([0, 0, numHeads * headDim], [3])]);
}
