import fs from 'node:fs/promises';
import path from 'node:path';

export interface GraphQLResponse<T = any> {
  status: number;
  data?: T;
  errors?: { message: string; extensions?: { code?: string; [k: string]: unknown } }[];
}

/** A plain JSON GraphQL request over real HTTP (`headers`: say, an API key's Authorization). */
export async function gql<T = any>(
  url: string,
  query: string,
  variables: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): Promise<GraphQLResponse<T>> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  return { status: res.status, ...((await res.json()) as object) };
}

export interface UploadFile {
  name: string;
  bytes: Uint8Array;
  type?: string;
}

export async function fileFromPath(p: string): Promise<UploadFile> {
  return { name: path.basename(p), bytes: await fs.readFile(p) };
}

/**
 * A GraphQL multipart request (the spec Apollo upload clients and curl -F use):
 * `operations`, `map`, then one part per file. `filesVar` names the variable
 * holding the list (or single) upload.
 */
export async function gqlUpload<T = any>(
  url: string,
  query: string,
  variables: Record<string, unknown>,
  filesVar: string,
  files: UploadFile[],
  { single = false, headers = { 'apollo-require-preflight': 'true' } as Record<string, string> } = {},
): Promise<GraphQLResponse<T>> {
  const form = new FormData();
  const vars = { ...variables, [filesVar]: single ? null : files.map(() => null) };
  form.append('operations', JSON.stringify({ query, variables: vars }));
  const map: Record<string, string[]> = {};
  files.forEach((_, i) => (map[String(i)] = [single ? `variables.${filesVar}` : `variables.${filesVar}.${i}`]));
  form.append('map', JSON.stringify(map));
  files.forEach((f, i) => form.append(String(i), new Blob([f.bytes], { type: f.type ?? 'application/octet-stream' }), f.name));
  const res = await fetch(url, { method: 'POST', body: form, headers });
  const text = await res.text();
  try {
    return { status: res.status, ...(JSON.parse(text) as object) };
  } catch {
    return { status: res.status, errors: [{ message: text }] };
  }
}

/** The codes of a response's errors. */
export const codes = (r: GraphQLResponse) => (r.errors ?? []).map((e) => e.extensions?.code);
