import type { ComponentChildren } from 'preact';
import { describeError } from '../api/graphql-client';

/** An error the API returned, shown where the thing failed. */
export function ErrorNote({ error, children }: { error: unknown; children?: ComponentChildren }) {
  if (!error) return null;
  return (
    <p class="error" role="alert">
      {children}
      {describeError(error)}
    </p>
  );
}

export function Loading({ what = 'Loading' }: { what?: string }) {
  return (
    <p class="muted" aria-busy="true">
      {what}…
    </p>
  );
}

export const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
