import {
  getNamedType,
  isEnumType,
  isInputObjectType,
  isLeafType,
  isListType,
  isNonNullType,
  isObjectType,
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLOutputType,
  type GraphQLSchema,
} from 'graphql';

/** What an ID argument can name; each kind has an object of both owners in the owner-isolation test. */
export type IdKind = 'album' | 'image' | 'face' | 'person' | 'batch' | 'merge' | 'folder';

export type OperationType = 'query' | 'mutation' | 'subscription';

/** One operation of the schema run with one of its ID arguments set to another owner's id. */
export interface Probe {
  type: OperationType;
  field: string;
  /** The argument holding the other owner's id (none: the operation takes no id, it is run as it is). */
  probed?: { arg: string; kind: IdKind };
  /** The document, with `$`-variables for every argument given. */
  document: string;
  /** Variables, with the probed argument's id still to be filled in by `fill`. */
  variables(probedId: string | undefined, own: Record<IdKind, string>): Record<string, unknown>;
  /** Names of Upload variables (multipart). */
  uploads: string[];
}

/**
 * Which kind of id an argument takes: by its name (`albumId`, `faceIds`,
 * `personId`...), else — for names that do not say (`id`, `a`, `from`) — by
 * the operation's name. Undefined when neither tells: the test then fails and
 * asks for a name that does, so no operation goes unprobed.
 */
export function idKind(field: string, arg: string): IdKind | undefined {
  const byArg: [RegExp, IdKind][] = [
    [/^albums?(Id|Ids)?$/i, 'album'],
    [/^images?(Id|Ids)?$/i, 'image'],
    [/^(faces?(Id|Ids)?|face[AB])$/i, 'face'],
    [/^(persons?|people)(Id|Ids)?$/i, 'person'],
    [/^(into|from)$/, 'person'],
    [/^batch(Id)?$/i, 'batch'],
    [/^merge(Id)?$/i, 'merge'],
    [/^folder(Id)?$/i, 'folder'],
  ];
  for (const [re, kind] of byArg) if (re.test(arg)) return kind;
  const byField: [RegExp, IdKind][] = [
    [/^undoMerge$/, 'merge'],
    [/batch/i, 'batch'],
    [/folder/i, 'folder'],
    [/album/i, 'album'],
    [/image|photo|xmp/i, 'image'],
    [/person|people|merge/i, 'person'],
    [/face/i, 'face'],
  ];
  for (const [re, kind] of byField) if (re.test(field)) return kind;
  return undefined;
}

const isIdType = (type: GraphQLInputType) => getNamedType(type).name === 'ID';
const isUploadType = (type: GraphQLInputType) => getNamedType(type).name === 'Upload';

/** A value of a required non-ID argument: harmless, valid where it can be. */
function sample(type: GraphQLInputType, name: string): unknown {
  if (isNonNullType(type)) return sample(type.ofType, name);
  if (isListType(type)) return [sample(type.ofType, name)];
  const named = getNamedType(type);
  if (isEnumType(named)) return named.getValues()[0].value;
  if (isInputObjectType(named)) {
    const out: Record<string, unknown> = {};
    for (const f of Object.values(named.getFields())) if (isNonNullType(f.type)) out[f.name] = sample(f.type, f.name);
    return out;
  }
  switch (named.name) {
    case 'String':
      return /path/i.test(name) ? 'probe.jpg' : 'mallory';
    case 'Int':
      return 1;
    case 'Float':
      return 100;
    case 'Boolean':
      return false;
    case 'Date':
    case 'LocalDate':
      return '2000-01-01';
    case 'DateTime':
    case 'DateTimeISO':
      return '2000-01-01T00:00:00Z';
    default:
      return 'probe';
  }
}

/**
 * A selection of everything a type shows down to `depth` levels (fields
 * that need arguments are left out): what a careless resolver would leak.
 */
export function selectionOf(type: GraphQLOutputType, depth = 2): string {
  const named = getNamedType(type);
  if (isLeafType(named)) return '';
  if (!isObjectType(named) || depth === 0) return '{ __typename }';
  const fields = Object.values(named.getFields())
    .filter((f) => f.args.every((a) => !isNonNullType(a.type) || a.defaultValue !== undefined))
    .map((f) => {
      const inner = getNamedType(f.type);
      if (isLeafType(inner)) return f.name;
      return depth > 1 ? `${f.name} ${selectionOf(f.type, depth - 1)}` : '';
    })
    .filter(Boolean);
  return `{ __typename ${fields.join(' ')} }`;
}

/** Every root field of the schema, each with one probe per ID argument (one plain run when it takes none). */
export function probesOf(schema: GraphQLSchema): { probes: Probe[]; unknown: string[] } {
  const probes: Probe[] = [];
  const unknown: string[] = [];
  const roots: [OperationType, ReturnType<GraphQLSchema['getQueryType']>][] = [
    ['query', schema.getQueryType()],
    ['mutation', schema.getMutationType()],
    ['subscription', schema.getSubscriptionType()],
  ];
  for (const [type, root] of roots) {
    for (const field of Object.values(root?.getFields() ?? {}) as GraphQLField<unknown, unknown>[]) {
      const ids = field.args.filter((a) => isIdType(a.type));
      for (const arg of ids) if (!idKind(field.name, arg.name)) unknown.push(`${field.name}(${arg.name})`);
      const targets = ids.length > 0 ? ids : [undefined];
      for (const target of targets) probes.push(probe(type, field, target));
    }
  }
  return { probes, unknown };
}

function probe(type: OperationType, field: GraphQLField<unknown, unknown>, target: GraphQLArgument | undefined): Probe {
  // The probed argument, every required argument, and every other ID argument (set to the caller's own ids).
  const given = field.args.filter((a) => a === target || isNonNullType(a.type));
  const declared = given.map((a) => `$${a.name}: ${a.type.toString()}`).join(', ');
  const passed = given.map((a) => `${a.name}: $${a.name}`).join(', ');
  const document = `${type} Probe${declared ? `(${declared})` : ''} { ${field.name}${passed ? `(${passed})` : ''} ${selectionOf(field.type)} }`;
  const uploads = given.filter((a) => isUploadType(a.type)).map((a) => a.name);
  return {
    type,
    field: field.name,
    probed: target && { arg: target.name, kind: idKind(field.name, target.name)! },
    document,
    uploads,
    variables(probedId, own) {
      const out: Record<string, unknown> = {};
      for (const a of given) {
        if (isUploadType(a.type)) out[a.name] = isListType(isNonNullType(a.type) ? a.type.ofType : a.type) ? [null] : null;
        else if (isIdType(a.type)) {
          const id = a === target ? probedId : own[idKind(field.name, a.name)!];
          out[a.name] = isListType(isNonNullType(a.type) ? a.type.ofType : a.type) ? [id] : id;
        } else out[a.name] = sample(a.type, a.name);
      }
      return out;
    },
  };
}

/** Whether a field's value shows nothing: null, false, an empty list, or a connection without edges. */
export function isEmpty(value: unknown): boolean {
  if (value === null || value === undefined || value === false) return true;
  if (Array.isArray(value)) return value.length === 0;
  if (typeof value === 'object' && 'edges' in value) return (value as { edges: unknown[] }).edges.length === 0;
  return false;
}

/** GET routes of an Express app, as `path` patterns (`/photos/:name`), from its router stack. */
export function expressGetRoutes(app: { _router?: { stack: unknown[] } }): string[] {
  const out: string[] = [];
  const walk = (stack: any[]) => {
    for (const layer of stack) {
      if (layer.route?.methods?.get) out.push(layer.route.path);
      else if (layer.name === 'router' && layer.handle?.stack) walk(layer.handle.stack);
    }
  };
  walk(app._router?.stack ?? []);
  return out;
}

/** Whether a URL path is one the Express route pattern `/a/:b` matches. */
export function routeMatches(pattern: string, urlPath: string): boolean {
  const re = new RegExp(`^${pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/:[A-Za-z_]+/g, '[^/]+')}$`);
  return re.test(urlPath.split('?')[0]);
}
