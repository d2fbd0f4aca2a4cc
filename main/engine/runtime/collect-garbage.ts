// A full garbage collection, awaited, before a large native allocation. A written training graph
// leaves its weights (hundreds of MB of ArrayBuffers) as garbage that V8 has not collected when
// onnxruntime opens the session and runs the first steps: measured on the Qwen2.5-0.5B shape
// (int4 base), the process held 580 MB RSS after writing the graph and 190 MB after two full
// collections a second apart. V8 sees only its own heap's pressure, not onnxruntime's mallocs, so
// it is asked: --expose-gc set at run time, then `gc` taken from a fresh context.
import { setTimeout as delay } from 'node:timers/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let gc: (() => void) | null = null;

function fullCollection(): () => void {
  if (!gc) {
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as () => void;
  }
  return gc;
}

/** Collects twice, with a pause between, so that ArrayBuffers swept after the first are freed too. */
export async function collectGarbage(pauseMs = 100): Promise<void> {
  const collect = fullCollection();
  collect();
  await delay(pauseMs);
  collect();
}
