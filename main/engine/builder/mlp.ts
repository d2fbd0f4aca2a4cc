// The feed-forward block: gated (SwiGLU / GeGLU: down(act(gate x) * up x)) or plain
// (down(act(up x))).
import { attr } from '../onnx/graph.ts';
import type { BuildContext } from './build-context.ts';
import { emitLinear } from './linear.ts';

export async function emitMlp(ctx: BuildContext, layer: number, x: string): Promise<string> {
  const { spec } = ctx;
  const prefix = `/model/layers.${layer}/mlp`;
  const project = async (input: string, which: 'gate' | 'up' | 'down') =>
    emitLinear(ctx, input, `${prefix}/${which}_proj`, {
      weight: await ctx.requireWeight(`layers.${layer}.${which}.weight`),
      bias: spec.mlp.bias ? await ctx.weight(`layers.${layer}.${which}.bias`) : null,
    });
  const up = await project(x, 'up');
  const hidden = spec.mlp.kind === 'gated' ? ctx.g.op('Mul', [emitActivation(ctx, await project(x, 'gate'), prefix), up]) : emitActivation(ctx, up, prefix);
  return project(hidden, 'down');
}

function emitActivation(ctx: BuildContext, x: string, prefix: string): string {
  const { g, spec } = ctx;
  switch (spec.mlp.activation) {
    case 'silu':
      return g.op('Mul', [x, g.op('Sigmoid', [x])], {}, { name: `${prefix}/silu` });
    case 'gelu':
      return g.op('Gelu', [x], {}, { name: `${prefix}/gelu` });
    case 'gelu_tanh':
      return g.op('Gelu', [x], { approximate: attr.string('tanh') }, { name: `${prefix}/gelu_tanh` });
  }
}
