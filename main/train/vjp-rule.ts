// What a gradient rule (vector-Jacobian product) receives and returns, and the attribute
// readers the rules share. One file of rules per op group sits beside this one.
import type { TapeGraph, TapeNode } from './tape-graph.ts';

export interface VjpContext {
  /** The tape being differentiated; rules append their nodes to it. */
  g: TapeGraph;
  node: TapeNode;
  /** The gradient of the loss with respect to each output, or null where none flows. */
  grads: (string | null)[];
  /** Whether each input needs a gradient (it depends on a parameter and feeds the loss). */
  wants: boolean[];
}

/** Returns the gradient for each input; null or undefined where none is wanted or defined. */
export type VjpRule = (ctx: VjpContext) => (string | null | undefined)[];

/** An op on the path from a parameter to the loss has no gradient rule, or an unsupported form. */
export class GradientError extends Error {
  override name = 'GradientError';
}

export function intAttribute(node: TapeNode, name: string, fallback: number): number {
  const a = node.attributes[name];
  return a?.kind === 'int' ? a.value : fallback;
}

export function floatAttribute(node: TapeNode, name: string, fallback: number): number {
  const a = node.attributes[name];
  return a?.kind === 'float' ? a.value : fallback;
}

export function intsAttribute(node: TapeNode, name: string): number[] | undefined {
  const a = node.attributes[name];
  return a?.kind === 'ints' ? a.value : undefined;
}

export function stringAttribute(node: TapeNode, name: string, fallback: string): string {
  const a = node.attributes[name];
  return a?.kind === 'string' ? a.value : fallback;
}

/** The gradient of output 0, which every single-output rule starts from. */
export function outputGrad(ctx: VjpContext): string {
  const grad = ctx.grads[0];
  if (grad === null) throw new GradientError(`${ctx.node.opType} ${ctx.node.name}: no gradient reaches its output`);
  return grad;
}
