// The grammar of `response_format: {"type": "json_object"}`: one JSON object (RFC 8259), in
// xgrammar's EBNF. xgrammar's built-in JSON grammar allows whitespace runs of any length between
// tokens, which a model that has never seen JSON fills until max_tokens; here each run is bounded.

export function jsonObjectGrammar(maxWhitespaceRun: number): string {
  return [
    'root ::= object',
    'value ::= object | array | string | number | "true" | "false" | "null"',
    'object ::= "{" ws (member (ws "," ws member)* ws)? "}"',
    'member ::= string ws ":" ws value',
    'array ::= "[" ws (value (ws "," ws value)* ws)? "]"',
    'string ::= "\\"" char* "\\""',
    'char ::= [^\\"\\\\\\0-\\x1f] | "\\\\" (["\\\\/bfnrt] | "u" [0-9A-Fa-f]{4})',
    'number ::= "-"? ("0" | [1-9] [0-9]*) ("." [0-9]+)? ([eE] [+-]? [0-9]+)?',
    `ws ::= [ \\n\\t\\r]{0,${maxWhitespaceRun}}`,
  ].join('\n');
}
