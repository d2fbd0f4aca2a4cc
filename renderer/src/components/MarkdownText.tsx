// Assistant text as Markdown (GitHub flavour) through react-markdown, which builds React
// elements and never injects HTML: raw HTML in the text is not rendered (no rehype-raw), and
// link URLs pass react-markdown's default filter (no javascript:).
//
// While a reply streams, each token would re-parse the whole reply: instead its finished blocks
// are rendered once each (memoized, so a token re-renders none of them) and only the growing
// tail is parsed again. Once the reply ends it is rendered whole, exactly as a stored reply is.
import { memo, useMemo } from 'react';
import Markdown from 'react-markdown';
import type { Components } from 'react-markdown';
import remarkGfm from 'remark-gfm';
import { splitFinishedBlocks } from '../format/markdown-blocks.ts';
import { CodeBlock } from './CodeBlock.tsx';

const REMARK_PLUGINS = [remarkGfm];

const COMPONENTS: Components = {
  pre: CodeBlock,
  // Links open outside the app (Electron hands them to the system browser after its own check).
  a: ({ node: _node, ...props }) => <a {...props} target="_blank" rel="noreferrer noopener" />,
};

/** One piece of Markdown, parsed again only when its text changes. */
const MarkdownBlock = memo(function MarkdownBlock({ text }: { text: string }) {
  return (
    <Markdown remarkPlugins={REMARK_PLUGINS} components={COMPONENTS} skipHtml>
      {text}
    </Markdown>
  );
});

function StreamingMarkdown({ text }: { text: string }) {
  const { finished, tail } = useMemo(() => splitFinishedBlocks(text), [text]);
  return (
    <>
      {finished.map((block, index) => (
        // A finished block never changes as the reply grows, so its index names it.
        <MarkdownBlock key={index} text={block} />
      ))}
      <MarkdownBlock key="tail" text={tail} />
    </>
  );
}

export function MarkdownText({ text, streaming = false }: { text: string; streaming?: boolean }) {
  return streaming ? <StreamingMarkdown text={text} /> : <MarkdownBlock text={text} />;
}
