// Assistant text as Markdown (GitHub flavour) through react-markdown, which builds React
// elements and never injects HTML: raw HTML in the text is not rendered (no rehype-raw), and
// link URLs pass react-markdown's default filter (no javascript:).
import Markdown from 'react-markdown';
import type { Components } from 'react-markdown';
import remarkGfm from 'remark-gfm';
import { CodeBlock } from './CodeBlock.tsx';

const REMARK_PLUGINS = [remarkGfm];

const COMPONENTS: Components = {
  pre: CodeBlock,
  // Links open outside the app (Electron hands them to the system browser after its own check).
  a: ({ node: _node, ...props }) => <a {...props} target="_blank" rel="noreferrer noopener" />,
};

export function MarkdownText({ text }: { text: string }) {
  return (
    <Markdown remarkPlugins={REMARK_PLUGINS} components={COMPONENTS} skipHtml>
      {text}
    </Markdown>
  );
}
