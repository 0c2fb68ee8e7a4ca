import { CompiledQuery, DEFAULT_MIGRATION_LOCK_TABLE, DEFAULT_MIGRATION_TABLE, type Kysely } from 'kysely';

/**
 * Copies a whole library, every application table's rows, from one database to
 * another of the same schema (`facegraph migrate-to`: the embedded PGlite into
 * PostgreSQL). Tables, columns, keys and foreign keys come from the catalog, so
 * tables added by later migrations are copied without a change here. Rows are
 * read in pages by primary key (or by block range of `ctid` for a table
 * without one) and written in one transaction on the target, ids kept.
 */

// biome-ignore lint/suspicious/noExplicitAny: Kysely<any>: catalog queries and raw SQL over any schema
type AnyDb = Kysely<any>;

/** The job queue of the embedded database: its jobs are not carried (PostgreSQL's queue is pg-boss). */
export const LOCAL_JOBS_TABLE = 'local_jobs';

/** Tables never copied: the migrator's bookkeeping (written when the target is migrated) and the embedded job queue. */
export const NOT_COPIED = new Set([DEFAULT_MIGRATION_TABLE, DEFAULT_MIGRATION_LOCK_TABLE, LOCAL_JOBS_TABLE]);

/**
 * Rows the migrations themselves write into a fresh database (the built-in owner `local`, the URL-signing
 * key): a target holding only these counts as empty, and they are replaced by the source's. The value is the
 * condition of a row that is an owner's data after all.
 */
const SEEDED_BY_MIGRATIONS: Record<string, string> = { owners: `name <> 'local'`, instance_secrets: 'false' };

export const DEFAULT_PAGE_ROWS = 2000;
/** Heap blocks a page of a table without a primary key reads (8 kB each). */
const CTID_PAGE_BLOCKS = 64;

export interface CopyProgress {
  table: string;
  /** Rows copied so far, and the table's rows in the source. */
  copied: number;
  total: number;
  /** The table is done. */
  done: boolean;
}

export interface CopiedTable {
  table: string;
  /** Rows in the source, and in the target after the copy (checked equal before commit). */
  sourceRows: number;
  targetRows: number;
}

export interface LibraryCopyResult {
  /** In the order they were copied (parents before the tables referring to them). */
  tables: CopiedTable[];
  /** Tables left out, with their rows in the source. */
  skipped: { table: string; rows: number }[];
  /** Jobs of the embedded queue not finished (queued, due for retry or running) and so not carried. */
  pendingJobs: number;
}

/** The target already holds an owner's data. */
export class TargetNotEmptyError extends Error {
  constructor(readonly tables: string[]) {
    super(`the target database is not empty: ${tables.join(', ')} hold rows`);
    this.name = 'TargetNotEmptyError';
  }
}

/** Source and target differ in tables or columns (one of them is not at the latest migration). */
export class SchemaMismatchError extends Error {
  constructor(readonly problems: string[]) {
    super(`source and target schemas differ: ${problems.join('; ')}`);
    this.name = 'SchemaMismatchError';
  }
}

/** A row count in the target differs from the source's after the copy (the transaction is rolled back). */
export class CountMismatchError extends Error {
  constructor(readonly mismatches: CopiedTable[]) {
    super(`row counts differ after the copy: ${mismatches.map((m) => `${m.table} ${m.sourceRows} -> ${m.targetRows}`).join(', ')}`);
    this.name = 'CountMismatchError';
  }
}

export interface Column {
  name: string;
  type: string;
  /** Identity or serial: its sequence, set past the copied ids afterwards. */
  sequence: string | null;
}

export interface TableShape {
  name: string;
  /** Insertable columns (not generated), in table order. */
  columns: Column[];
  /** Primary key columns in key order; empty: read by ctid. */
  key: Column[];
}

export interface ForeignKey {
  name: string;
  child: string;
  parent: string;
  definition: string;
}

interface SecondaryIndex {
  name: string;
  definition: string;
}

const ident = (name: string) => `"${name.replaceAll('"', '""')}"`;

// biome-ignore lint/suspicious/noExplicitAny: raw SQL rows, typed by each caller
async function query<T = any>(db: AnyDb, text: string, values: unknown[] = []): Promise<T[]> {
  return (await db.executeQuery(CompiledQuery.raw(text, values))).rows as T[];
}

/** Application tables of the current schema, with their insertable columns and primary keys. */
export async function tableShapes(db: AnyDb): Promise<Map<string, TableShape>> {
  const columns = await query<{ table: string; column: string; type: string; sequence: string | null; key_position: number | null }>(
    db,
    `SELECT c.relname AS table, a.attname AS column, format_type(a.atttypid, a.atttypmod) AS type,
            pg_get_serial_sequence(quote_ident(c.relname), a.attname) AS sequence,
            array_position(pk.indkey::int2[], a.attnum) AS key_position
       FROM pg_class c
       JOIN pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
       LEFT JOIN pg_index pk ON pk.indrelid = c.oid AND pk.indisprimary
      WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND NOT c.relispartition
      ORDER BY c.relname, a.attnum`,
  );
  const shapes = new Map<string, TableShape>();
  const keyPositions = new Map<Column, number>();
  for (const row of columns) {
    let shape = shapes.get(row.table);
    if (!shape) shapes.set(row.table, (shape = { name: row.table, columns: [], key: [] }));
    const column: Column = { name: row.column, type: row.type, sequence: row.sequence };
    shape.columns.push(column);
    if (row.key_position !== null) {
      shape.key.push(column);
      keyPositions.set(column, row.key_position);
    }
  }
  for (const shape of shapes.values()) shape.key.sort((a, b) => keyPositions.get(a)! - keyPositions.get(b)!);
  return shapes;
}

async function foreignKeys(db: AnyDb): Promise<ForeignKey[]> {
  return query<ForeignKey>(
    db,
    `SELECT k.conname AS name, child.relname AS child, parent.relname AS parent, pg_get_constraintdef(k.oid) AS definition
       FROM pg_constraint k
       JOIN pg_class child ON child.oid = k.conrelid
       JOIN pg_class parent ON parent.oid = k.confrelid
       JOIN pg_namespace n ON n.oid = child.relnamespace
      WHERE k.contype = 'f' AND n.nspname = current_schema()
      ORDER BY child.relname, k.conname`,
  );
}

/** Indexes no constraint owns or needs: dropped for the copy and built again once, after it (an HNSW index row by row is slow). */
async function secondaryIndexes(db: AnyDb, tables: string[]): Promise<SecondaryIndex[]> {
  return query<SecondaryIndex>(
    db,
    `SELECT ic.relname AS name, pg_get_indexdef(i.indexrelid) AS definition
       FROM pg_index i
       JOIN pg_class ic ON ic.oid = i.indexrelid
       JOIN pg_class c ON c.oid = i.indrelid
       JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = current_schema() AND c.relname = ANY($1::text[]) AND NOT i.indisprimary
        AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)
      ORDER BY c.relname, ic.relname`,
    [tables],
  );
}

/**
 * Parents before children. A self-reference, or a foreign key that closes a cycle, cannot be satisfied by
 * an order: those are returned as `deferred`, dropped for the copy and added again (and so checked) after it.
 */
export function copyOrder(tables: string[], keys: ForeignKey[]): { order: string[]; deferred: ForeignKey[] } {
  const inScope = new Set(tables);
  const relevant = keys.filter((k) => inScope.has(k.child) && inScope.has(k.parent));
  const deferred = relevant.filter((k) => k.child === k.parent);
  const pending = new Set([...tables].sort());
  const order: string[] = [];
  while (pending.size > 0) {
    const waitsFor = (t: string) => relevant.filter((k) => k.child === t && k.parent !== t && pending.has(k.parent));
    let next = [...pending].find((t) => waitsFor(t).length === 0);
    if (next === undefined) {
      // A cycle: take the first table of it anyway and check its keys to the others after the copy.
      next = [...pending][0]!;
      deferred.push(...waitsFor(next));
    }
    pending.delete(next);
    order.push(next);
  }
  return { order, deferred };
}

/** The source's sequences' next values, so the target never hands out an id the source already used. */
async function nextSequenceValue(db: AnyDb, sequence: string): Promise<number> {
  const [row] = await query<{ last_value: string; is_called: boolean }>(db, `SELECT last_value::text, is_called FROM ${sequence}`);
  return Number(row!.last_value) + (row!.is_called ? 1 : 0);
}

async function countRows(db: AnyDb, table: string): Promise<number> {
  const [row] = await query<{ n: string }>(db, `SELECT count(*)::text AS n FROM ${ident(table)}`);
  return Number(row!.n);
}

/**
 * Every row of `table` in the source, `pageRows` at a time as text (the exact form of every PostgreSQL
 * type, pgvector's included), in primary key order; without a primary key, by ranges of heap blocks.
 */
export async function* readPages(source: AnyDb, shape: TableShape, pageRows = DEFAULT_PAGE_ROWS): AsyncGenerator<(string | null)[][]> {
  const select = shape.columns.map((c, i) => `${ident(c.name)}::text AS c${i}`).join(', ');
  const toArrays = (rows: Record<string, string | null>[]) => rows.map((r) => shape.columns.map((_, i) => r[`c${i}`] ?? null));
  if (shape.key.length > 0) {
    const keyList = shape.key.map((c) => ident(c.name)).join(', ');
    const keyIndexes = shape.key.map((k) => shape.columns.indexOf(k));
    const after = `(${keyList}) > (${shape.key.map((c, i) => `$${i + 1}::${c.type}`).join(', ')})`;
    let last: (string | null)[] | undefined;
    for (;;) {
      const rows = await query(
        source,
        `SELECT ${select} FROM ${ident(shape.name)} ${last ? `WHERE ${after}` : ''} ORDER BY ${keyList} LIMIT ${pageRows}`,
        last ? keyIndexes.map((i) => last![i]) : [],
      );
      if (rows.length === 0) return;
      const page = toArrays(rows);
      yield page;
      if (rows.length < pageRows) return;
      last = page[page.length - 1];
    }
  }
  // No key to order by: nothing writes the source meanwhile (its folder is locked), so block ranges cover each row once.
  const [{ blocks }] = await query<{ blocks: string }>(
    source,
    `SELECT (pg_relation_size($1::regclass) / current_setting('block_size')::int)::text AS blocks`,
    [ident(shape.name)],
  );
  for (let start = 0; start < Number(blocks); start += CTID_PAGE_BLOCKS) {
    const rows = await query(source, `SELECT ${select} FROM ${ident(shape.name)} WHERE ctid >= $1::tid AND ctid < $2::tid`, [
      `(${start},0)`,
      `(${start + CTID_PAGE_BLOCKS},0)`,
    ]);
    if (rows.length > 0) yield toArrays(rows);
  }
}

/** True when the target holds no owner's data (only what its own migrations wrote). */
async function nonEmptyTables(db: AnyDb, tables: string[]): Promise<string[]> {
  const found: string[] = [];
  for (const table of tables) {
    const userRows = SEEDED_BY_MIGRATIONS[table];
    const [row] = await query<{ any: boolean }>(
      db,
      `SELECT EXISTS (SELECT 1 FROM ${ident(table)}${userRows ? ` WHERE ${userRows}` : ''}) AS any`,
    );
    if (row!.any) found.push(table);
  }
  return found;
}

/** Refuses (TargetNotEmptyError) unless the target, already migrated, holds no owner's data. */
export async function assertTargetEmpty(target: AnyDb): Promise<void> {
  const tables = [...(await tableShapes(target)).keys()].filter((t) => !NOT_COPIED.has(t));
  const found = await nonEmptyTables(target, tables);
  if (found.length > 0) throw new TargetNotEmptyError(found);
}

/**
 * Copies every application table of `source` into `target` (both at the same migration), in one
 * transaction on the target: all rows or none. The target must hold no owner's data
 * (TargetNotEmptyError); rows its migrations wrote are replaced by the source's.
 */
export async function copyLibrary(
  source: AnyDb,
  target: AnyDb,
  options: { pageRows?: number; onProgress?: (p: CopyProgress) => void; onStage?: (stage: string) => void } = {},
): Promise<LibraryCopyResult> {
  const sourceShapes = await tableShapes(source);
  const targetShapes = await tableShapes(target);
  const problems: string[] = [];
  for (const [name, shape] of sourceShapes) {
    const other = targetShapes.get(name);
    if (!other) {
      problems.push(`table ${name} is not in the target`);
      continue;
    }
    const mine = shape.columns.map((c) => `${c.name} ${c.type}`).join(', ');
    const theirs = other.columns.map((c) => `${c.name} ${c.type}`).join(', ');
    if (mine !== theirs) problems.push(`${name} has (${mine}) in the source, (${theirs}) in the target`);
  }
  for (const name of targetShapes.keys()) if (!sourceShapes.has(name)) problems.push(`table ${name} is not in the source`);
  if (problems.length > 0) throw new SchemaMismatchError(problems);

  const tables = [...sourceShapes.keys()].filter((t) => !NOT_COPIED.has(t));
  const skipped = await Promise.all(
    [...sourceShapes.keys()].filter((t) => NOT_COPIED.has(t)).map(async (table) => ({ table, rows: await countRows(source, table) })),
  );
  const pendingJobs = sourceShapes.has(LOCAL_JOBS_TABLE)
    ? Number((await query<{ n: string }>(source, `SELECT count(*)::text AS n FROM ${LOCAL_JOBS_TABLE} WHERE state <> 'failed'`))[0]!.n)
    : 0;
  const { order, deferred } = copyOrder(tables, await foreignKeys(target));

  const copied = await target.transaction().execute(async (trx) => {
    // Nobody writes these tables until the copy commits or rolls back.
    await query(trx, `LOCK TABLE ${order.map(ident).join(', ')} IN EXCLUSIVE MODE`);
    const found = await nonEmptyTables(trx, order);
    if (found.length > 0) throw new TargetNotEmptyError(found);
    for (const table of [...order].reverse()) await query(trx, `DELETE FROM ${ident(table)}`);

    const indexes = await secondaryIndexes(trx, order);
    for (const index of indexes) await query(trx, `DROP INDEX ${ident(index.name)}`);
    for (const key of deferred) await query(trx, `ALTER TABLE ${ident(key.child)} DROP CONSTRAINT ${ident(key.name)}`);

    const result: CopiedTable[] = [];
    for (const table of order) {
      const shape = targetShapes.get(table)!;
      const total = await countRows(source, table);
      const columns = shape.columns.map((c) => ident(c.name)).join(', ');
      const casts = shape.columns.map((c, i) => `u.c${i}::${c.type}`).join(', ');
      const arrays = shape.columns.map((_, i) => `$${i + 1}::text[]`).join(', ');
      const names = shape.columns.map((_, i) => `c${i}`).join(', ');
      // One parameter per column (an array of the page's values as text), whatever the page's size.
      const insert = `INSERT INTO ${ident(table)} (${columns}) OVERRIDING SYSTEM VALUE SELECT ${casts} FROM unnest(${arrays}) AS u(${names})`;
      let done = 0;
      for await (const page of readPages(source, sourceShapes.get(table)!, options.pageRows)) {
        await query(
          trx,
          insert,
          shape.columns.map((_, i) => page.map((row) => row[i])),
        );
        done += page.length;
        options.onProgress?.({ table, copied: done, total, done: false });
      }
      options.onProgress?.({ table, copied: done, total, done: true });
      result.push({ table, sourceRows: total, targetRows: 0 });
    }

    options.onStage?.(`checking ${deferred.length} foreign keys and building ${indexes.length} indexes`);
    for (const key of deferred) await query(trx, `ALTER TABLE ${ident(key.child)} ADD CONSTRAINT ${ident(key.name)} ${key.definition}`);
    for (const index of indexes) await query(trx, index.definition);

    for (const table of order) {
      for (const [i, column] of targetShapes.get(table)!.columns.entries()) {
        const sourceSequence = sourceShapes.get(table)!.columns[i]!.sequence;
        if (!column.sequence) continue;
        const sourceNext = sourceSequence ? await nextSequenceValue(source, sourceSequence) : 1;
        await query(
          trx,
          `SELECT setval($1::regclass, GREATEST(COALESCE((SELECT max(${ident(column.name)}) FROM ${ident(table)}), 0) + 1, $2::bigint), false)`,
          [column.sequence, sourceNext],
        );
      }
    }

    for (const copy of result) copy.targetRows = await countRows(trx, copy.table);
    const mismatches = result.filter((r) => r.sourceRows !== r.targetRows);
    if (mismatches.length > 0) throw new CountMismatchError(mismatches);
    return result;
  });
  return { tables: copied, skipped, pendingJobs };
}
