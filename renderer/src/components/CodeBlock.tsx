// A fenced code block with a "Copy" button that copies exactly the code's text.
import { useState } from 'react';
import type { ComponentPropsWithoutRef } from 'react';
import type { ExtraProps } from 'react-markdown';

type HastNode = NonNullable<ExtraProps['node']>;

/** The text inside a hast element, read from the syntax tree rather than from the rendered DOM. */
function textOf(node: HastNode | HastNode['children'][number]): string {
  if (node.type === 'text') return node.value;
  if (node.type === 'element') return node.children.map(textOf).join('');
  return '';
}

type CopyState = 'idle' | 'copied' | 'failed';

export function CodeBlock({ node, children, ...rest }: ComponentPropsWithoutRef<'pre'> & ExtraProps) {
  const [state, setState] = useState<CopyState>('idle');
  const code = node ? textOf(node) : '';

  const copy = async () => {
    try {
      await navigator.clipboard.writeText(code.replace(/\n$/, ''));
      setState('copied');
    } catch {
      setState('failed');
    }
    setTimeout(() => setState('idle'), 1500);
  };

  return (
    <div className="code-block">
      <button type="button" className="code-copy" onClick={() => void copy()}>
        Copy
      </button>
      {state !== 'idle' && (
        <span className="code-copy-state" role="status">
          {state === 'copied' ? 'Copied' : 'Could not copy'}
        </span>
      )}
      <pre {...rest}>{children}</pre>
    </div>
  );
}
