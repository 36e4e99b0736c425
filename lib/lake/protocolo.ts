// The Delta Lake transaction log protocol as TypeScript types: the actions a commit file holds
// (one JSON object per line), the table schema (Spark's JSON schema), and which protocol versions
// and table features this kit implements. Field names are the protocol's own, so a student can
// put a commit file side by side with these types. File naming in _delta_log is log.ts.
import { ErroLake, ErroRecursoNaoSuportado } from "./erros";

// The errors live in erros.ts; re-exported here so that `export * from "./protocolo"` (index.ts)
// keeps them in the public API.
export { type DadosConflito, ErroConflito, ErroLake, ErroRecursoNaoSuportado, type MotivoConflito } from "./erros";

// ---------------------------------------------------------------------------------------------
// Schema (Spark SQL JSON schema, as stored in metaData.schemaString)

export type PrimitiveType =
  | "string"
  | "long"
  | "integer"
  | "short"
  | "byte"
  | "float"
  | "double"
  | "boolean"
  | "binary"
  | "date"
  | "timestamp"
  | "timestamp_ntz"
  | `decimal(${number},${number})`;

export interface StructField {
  name: string;
  type: DataType;
  nullable: boolean;
  metadata: Record<string, unknown>;
}

export interface StructType {
  type: "struct";
  fields: StructField[];
}

export interface ArrayType {
  type: "array";
  elementType: DataType;
  containsNull: boolean;
}

export interface MapType {
  type: "map";
  keyType: DataType;
  valueType: DataType;
  valueContainsNull: boolean;
}

export type DataType = PrimitiveType | StructType | ArrayType | MapType;

// ---------------------------------------------------------------------------------------------
// Actions

export interface Protocol {
  minReaderVersion: number;
  minWriterVersion: number;
  /** Only when minReaderVersion is 3. */
  readerFeatures?: string[];
  /** Only when minWriterVersion is 7. */
  writerFeatures?: string[];
}

export interface Format {
  provider: string;
  options: Record<string, string>;
}

export interface Metadata {
  id: string;
  name?: string | null;
  description?: string | null;
  format: Format;
  /** The table schema: a StructType serialized as JSON. */
  schemaString: string;
  partitionColumns: string[];
  createdTime?: number | null;
  configuration: Record<string, string>;
}

export interface DeletionVectorDescriptor {
  storageType: string;
  pathOrInlineDv: string;
  offset?: number;
  sizeInBytes: number;
  cardinality: number;
}

/** Partition values are strings (see serializarParticao); null is a null partition value. */
export type PartitionValues = Record<string, string | null>;

export interface Add {
  /** Relative to the table root, URI-encoded (RFC 2396). */
  path: string;
  partitionValues: PartitionValues;
  size: number;
  modificationTime: number;
  dataChange: boolean;
  /** JSON: {"numRecords", "minValues", "maxValues", "nullCount"}. */
  stats?: string | null;
  tags?: Record<string, string> | null;
  deletionVector?: DeletionVectorDescriptor | null;
  baseRowId?: number | null;
  defaultRowCommitVersion?: number | null;
  clusteringProvider?: string | null;
}

export interface Remove {
  path: string;
  deletionTimestamp?: number | null;
  dataChange: boolean;
  extendedFileMetadata?: boolean | null;
  partitionValues?: PartitionValues | null;
  size?: number | null;
  stats?: string | null;
  tags?: Record<string, string> | null;
  deletionVector?: DeletionVectorDescriptor | null;
  baseRowId?: number | null;
  defaultRowCommitVersion?: number | null;
}

export interface AddCdc {
  path: string;
  partitionValues: PartitionValues;
  size: number;
  dataChange: boolean;
  tags?: Record<string, string> | null;
}

/** Application transaction identifier (idempotent writes). */
export interface Txn {
  appId: string;
  version: number;
  lastUpdated?: number | null;
}

export interface CommitInfo {
  timestamp?: number;
  operation?: string;
  operationParameters?: Record<string, unknown>;
  readVersion?: number;
  isolationLevel?: string;
  isBlindAppend?: boolean;
  operationMetrics?: Record<string, unknown>;
  engineInfo?: string;
  [extra: string]: unknown;
}

export interface DomainMetadata {
  domain: string;
  configuration: string;
  removed: boolean;
}

/** One line of a commit file. Unknown actions are kept as-is and ignored (protocol evolution). */
export type Action =
  | { protocol: Protocol }
  | { metaData: Metadata }
  | { add: Add }
  | { remove: Remove }
  | { cdc: AddCdc }
  | { txn: Txn }
  | { commitInfo: CommitInfo }
  | { domainMetadata: DomainMetadata };

// ---------------------------------------------------------------------------------------------
// Protocol versions and table features

/** What this kit creates: reader 1 / writer 2, the plain protocol every engine reads. */
export const PROTOCOLO_PADRAO: Protocol = { minReaderVersion: 1, minWriterVersion: 2 };

/**
 * Reader features we implement. vacuumProtocolCheck only asks vacuum to check the protocol
 * (which we always do); timestampNtz is a column type we read.
 */
const RECURSOS_LEITURA = new Set(["vacuumProtocolCheck", "timestampNtz"]);

/**
 * Writer features we implement or can honour by refusing what they forbid: appendOnly (we refuse
 * rewrites), invariants / checkConstraints / generatedColumns / changeDataFeed (refused when
 * actually in use, see recursosEmUso), domainMetadata (we only carry domains forward).
 */
const RECURSOS_ESCRITA = new Set([
  "appendOnly",
  "invariants",
  "checkConstraints",
  "generatedColumns",
  "changeDataFeed",
  "domainMetadata",
  "vacuumProtocolCheck",
  "timestampNtz",
]);

const NOMES_RECURSOS: Record<string, string> = {
  deletionVectors: "deletion vectors (deletionVectors)",
  columnMapping: "column mapping (columnMapping)",
  v2Checkpoint: "checkpoints V2 (v2Checkpoint)",
  typeWidening: "type widening (typeWidening)",
  variantType: "tipo variant (variantType)",
  catalogManaged: "tabelas gerenciadas por catálogo (catalogManaged)",
  rowTracking: "row tracking (rowTracking)",
  identityColumns: "colunas de identidade (identityColumns)",
  clustering: "liquid clustering (clustering)",
  inCommitTimestamp: "in-commit timestamps (inCommitTimestamp)",
  icebergCompatV1: "compatibilidade Iceberg V1 (icebergCompatV1)",
  icebergCompatV2: "compatibilidade Iceberg V2 (icebergCompatV2)",
};

export function nomeDoRecurso(feature: string): string {
  return NOMES_RECURSOS[feature] ?? feature;
}

/** Refuses to read a table whose protocol needs something we do not implement. */
export function exigirLeitura(protocol: Protocol, metadata: Metadata | undefined, tabela: string): void {
  const r = protocol.minReaderVersion;
  if (r > 3) {
    throw new ErroRecursoNaoSuportado(
      `A tabela ${tabela} exige leitor Delta versão ${r}; o lib/lake lê até a versão 3. Não vou arriscar uma leitura errada.`,
      `minReaderVersion ${r}`,
    );
  }
  if (r === 2 || r === 3) {
    const modo = metadata?.configuration["delta.columnMapping.mode"];
    if (r === 2 && modo && modo !== "none") {
      throw new ErroRecursoNaoSuportado(
        `A tabela ${tabela} usa o recurso ${nomeDoRecurso("columnMapping")} (modo '${modo}'), que o lib/lake não implementa: ` +
          "leia-a com Spark ou delta-rs.",
        "columnMapping",
      );
    }
  }
  if (r === 3) {
    for (const f of protocol.readerFeatures ?? []) {
      if (f === "columnMapping") {
        const modo = metadata?.configuration["delta.columnMapping.mode"];
        if (!modo || modo === "none") continue; // declared but unused: names are the physical names
      }
      if (!RECURSOS_LEITURA.has(f)) {
        throw new ErroRecursoNaoSuportado(
          `A tabela ${tabela} usa o recurso ${nomeDoRecurso(f)}, que o lib/lake não implementa para leitura: ` +
            "leia-a com Spark ou delta-rs.",
          f,
        );
      }
    }
  }
}

/** Refuses to write a table whose protocol needs something we do not implement. */
export function exigirEscrita(protocol: Protocol, metadata: Metadata, tabela: string): void {
  exigirLeitura(protocol, metadata, tabela);
  const w = protocol.minWriterVersion;
  if (w > 7) {
    throw new ErroRecursoNaoSuportado(
      `A tabela ${tabela} exige escritor Delta versão ${w}; o lib/lake escreve até a versão 7.`,
      `minWriterVersion ${w}`,
    );
  }
  const declarados = w === 7 ? (protocol.writerFeatures ?? []) : recursosImplicitos(w);
  for (const f of declarados) {
    if (!RECURSOS_ESCRITA.has(f) && !(f === "columnMapping" && semColumnMapping(metadata))) {
      throw new ErroRecursoNaoSuportado(
        `A tabela ${tabela} usa o recurso ${nomeDoRecurso(f)}, que o lib/lake não implementa para escrita: ` +
          "escreva nela com Spark ou delta-rs.",
        f,
      );
    }
  }
  const [emUso] = recursosEmUso(metadata);
  if (emUso) {
    throw new ErroRecursoNaoSuportado(
      `A tabela ${tabela} usa ${emUso.descricao}, que o lib/lake não sabe respeitar ao escrever: escreva nela com Spark ou delta-rs.`,
      emUso.recurso,
    );
  }
}

function semColumnMapping(metadata: Metadata): boolean {
  const modo = metadata.configuration["delta.columnMapping.mode"];
  return !modo || modo === "none";
}

/** Features that legacy writer versions 2..6 imply. */
function recursosImplicitos(w: number): string[] {
  const f: string[] = [];
  if (w >= 2) f.push("appendOnly", "invariants");
  if (w >= 3) f.push("checkConstraints");
  if (w >= 4) f.push("changeDataFeed", "generatedColumns");
  if (w >= 5) f.push("columnMapping");
  if (w >= 6) f.push("identityColumns");
  return f;
}

/**
 * Writer features that are allowed by the protocol and actually used by this table's metadata:
 * the property or column metadata key (`recurso`) and how a student would call it.
 */
function recursosEmUso(metadata: Metadata): { recurso: string; descricao: string }[] {
  const usados: { recurso: string; descricao: string }[] = [];
  const conf = metadata.configuration;
  if (Object.keys(conf).some((k) => k.startsWith("delta.constraints."))) {
    usados.push({ recurso: "delta.constraints.*", descricao: "restrições CHECK (delta.constraints.*)" });
  }
  if (conf["delta.enableChangeDataFeed"] === "true") {
    usados.push({ recurso: "delta.enableChangeDataFeed", descricao: "change data feed (delta.enableChangeDataFeed)" });
  }
  for (const c of lerEsquema(metadata.schemaString).fields) {
    const chaves = Object.keys(c.metadata);
    if (chaves.includes("delta.invariants")) usados.push({ recurso: "delta.invariants", descricao: `invariantes de coluna (${c.name})` });
    if (chaves.includes("delta.generationExpression"))
      usados.push({ recurso: "delta.generationExpression", descricao: `colunas geradas (${c.name})` });
    if (chaves.some((k) => k.startsWith("delta.identity.")))
      usados.push({ recurso: "delta.identity.*", descricao: `colunas de identidade (${c.name})` });
  }
  return usados;
}

// ---------------------------------------------------------------------------------------------
// Schema parsing

export function lerEsquema(schemaString: string): StructType {
  let parsed: unknown;
  try {
    parsed = JSON.parse(schemaString);
  } catch (err) {
    throw new ErroLake(`schemaString inválido no log (não é JSON): ${(err as Error).message}`);
  }
  const tipo = validarTipo(parsed, "schemaString");
  if (typeof tipo !== "object" || tipo.type !== "struct") throw new ErroLake("schemaString inválido: esperado um struct no topo.");
  return tipo;
}

const PRIMITIVOS = new Set([
  "string",
  "long",
  "integer",
  "short",
  "byte",
  "float",
  "double",
  "boolean",
  "binary",
  "date",
  "timestamp",
  "timestamp_ntz",
  "void",
  "variant",
]);
const DECIMAL = /^decimal\(\s*(\d+)\s*,\s*(\d+)\s*\)$/;

function validarTipo(t: unknown, onde: string): DataType {
  if (typeof t === "string") {
    if (t === "decimal") return "decimal(10,0)";
    if (PRIMITIVOS.has(t)) return t as PrimitiveType;
    const m = DECIMAL.exec(t);
    if (m) return `decimal(${Number(m[1])},${Number(m[2])})`;
    throw new ErroLake(`Tipo desconhecido '${t}' em ${onde}.`);
  }
  if (t && typeof t === "object") {
    const o = t as Record<string, unknown>;
    if (o.type === "struct" && Array.isArray(o.fields)) {
      return {
        type: "struct",
        fields: o.fields.map((f: Record<string, unknown>) => ({
          name: String(f.name),
          type: validarTipo(f.type, `${onde}.${String(f.name)}`),
          nullable: f.nullable !== false,
          metadata: (f.metadata as Record<string, unknown>) ?? {},
        })),
      };
    }
    if (o.type === "array") {
      return { type: "array", elementType: validarTipo(o.elementType, `${onde}[]`), containsNull: o.containsNull !== false };
    }
    if (o.type === "map") {
      return {
        type: "map",
        keyType: validarTipo(o.keyType, `${onde}.key`),
        valueType: validarTipo(o.valueType, `${onde}.value`),
        valueContainsNull: o.valueContainsNull !== false,
      };
    }
  }
  throw new ErroLake(`Tipo inválido em ${onde}: ${JSON.stringify(t)}.`);
}

/** Precision and scale of a decimal type, or undefined. */
export function decimal(tipo: DataType): { precisao: number; escala: number } | undefined {
  if (typeof tipo !== "string") return undefined;
  const m = DECIMAL.exec(tipo);
  return m ? { precisao: Number(m[1]), escala: Number(m[2]) } : undefined;
}

export function descreverTipo(tipo: DataType): string {
  if (typeof tipo === "string") return tipo;
  if (tipo.type === "struct") return `struct<${tipo.fields.map((f) => `${f.name}:${descreverTipo(f.type)}`).join(",")}>`;
  if (tipo.type === "array") return `array<${descreverTipo(tipo.elementType)}>`;
  return `map<${descreverTipo(tipo.keyType)},${descreverTipo(tipo.valueType)}>`;
}
