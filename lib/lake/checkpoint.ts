// Checkpoints: the classic (V1) Parquet checkpoint of a snapshot plus _last_checkpoint, written
// every N commits so readers replay a few commits instead of the whole log; and reading one back
// (single or multi-part) as actions. Also the retention interval of tombstones, which decides
// which removes a checkpoint still carries and what vacuum may delete.
import * as arrow from "apache-arrow";
import type { Armazenamento } from "./armazenamento";
import type { Instantaneo } from "./instantaneo";
import { gravarParquet, lerParquet } from "./parquet";
import { PASTA_LOG, nomeCheckpoint } from "./log";
import type { Action } from "./protocolo";

/** Arrow → plain JSON (maps become objects, int64 become numbers), the shape of a commit line. */
function paraJson(v: unknown): unknown {
  return JSON.parse(JSON.stringify(v, (_k, x: unknown) => (typeof x === "bigint" ? Number(x) : x)));
}

const COLUNAS_CHECKPOINT = ["protocol", "metaData", "add", "remove", "txn", "domainMetadata"] as const;

export async function lerCheckpoint(arm: Armazenamento, chaves: string[]): Promise<Action[]> {
  const acoes: Action[] = [];
  for (const chave of chaves) {
    const t = lerParquet(await arm.ler(chave));
    for (const col of COLUNAS_CHECKPOINT) {
      const vec = t.getChild(col);
      if (!vec) continue;
      for (let i = 0; i < vec.length; i++) {
        const v = vec.get(i);
        if (v === null || v === undefined) continue;
        const obj = paraJson(v) as Record<string, unknown>;
        // A null struct can come back as an object of nulls: an action needs its key field.
        const chaveObrigatoria = {
          protocol: "minReaderVersion",
          metaData: "id",
          add: "path",
          remove: "path",
          txn: "appId",
          domainMetadata: "domain",
        }[col];
        if (obj[chaveObrigatoria] === null || obj[chaveObrigatoria] === undefined) continue;
        for (const k of Object.keys(obj)) if (obj[k] === null) delete obj[k];
        acoes.push({ [col]: obj } as unknown as Action);
      }
    }
  }
  return acoes;
}

const mapa = () =>
  new arrow.Map_(
    new arrow.Field(
      "key_value",
      new arrow.Struct([new arrow.Field("key", new arrow.Utf8(), false), new arrow.Field("value", new arrow.Utf8(), true)] as never),
      false,
    ),
  );
const f = (nome: string, tipo: arrow.DataType, anulavel = true) => new arrow.Field(nome, tipo, anulavel);
const lista = () => new arrow.List(new arrow.Field("element", new arrow.Utf8(), true));

function esquemaCheckpoint(comRecursos: boolean): arrow.Schema {
  const protocolo = [f("minReaderVersion", new arrow.Int32()), f("minWriterVersion", new arrow.Int32())];
  if (comRecursos) protocolo.push(f("readerFeatures", lista()), f("writerFeatures", lista()));
  return new arrow.Schema([
    f("txn", new arrow.Struct([f("appId", new arrow.Utf8()), f("version", new arrow.Int64()), f("lastUpdated", new arrow.Int64())])),
    f(
      "add",
      new arrow.Struct([
        f("path", new arrow.Utf8()),
        f("partitionValues", mapa()),
        f("size", new arrow.Int64()),
        f("modificationTime", new arrow.Int64()),
        f("dataChange", new arrow.Bool()),
        f("stats", new arrow.Utf8()),
        f("tags", mapa()),
      ]),
    ),
    f(
      "remove",
      new arrow.Struct([
        f("path", new arrow.Utf8()),
        f("deletionTimestamp", new arrow.Int64()),
        f("dataChange", new arrow.Bool()),
        f("extendedFileMetadata", new arrow.Bool()),
        f("partitionValues", mapa()),
        f("size", new arrow.Int64()),
      ]),
    ),
    f(
      "metaData",
      new arrow.Struct([
        f("id", new arrow.Utf8()),
        f("name", new arrow.Utf8()),
        f("description", new arrow.Utf8()),
        f("format", new arrow.Struct([f("provider", new arrow.Utf8()), f("options", mapa())])),
        f("schemaString", new arrow.Utf8()),
        f("partitionColumns", lista()),
        f("createdTime", new arrow.Int64()),
        f("configuration", mapa()),
      ]),
    ),
    f("protocol", new arrow.Struct(protocolo)),
    f(
      "domainMetadata",
      new arrow.Struct([f("domain", new arrow.Utf8()), f("configuration", new arrow.Utf8()), f("removed", new arrow.Bool())]),
    ),
  ]);
}

const paraMapa = (o: Record<string, string | null> | null | undefined) => (o ? new Map(Object.entries(o)) : null);
const big = (n: number | null | undefined) => (n === null || n === undefined ? null : BigInt(Math.trunc(n)));

/** Milliseconds in an interval like "interval 7 days" / "168 hours" (delta.deletedFileRetentionDuration). */
export function duracaoMs(texto: string | undefined, padraoMs: number): number {
  if (!texto) return padraoMs;
  const m = /^\s*(?:interval\s+)?(\d+)\s*(second|minute|hour|day|week)s?\s*$/i.exec(texto);
  if (!m) return padraoMs;
  const un = { second: 1000, minute: 60_000, hour: 3_600_000, day: 86_400_000, week: 604_800_000 }[m[2]!.toLowerCase() as "day"];
  return Number(m[1]) * un;
}

/**
 * Writes the classic (V1) checkpoint of a snapshot and points _last_checkpoint at it. Expired
 * tombstones are left out, and commitInfo never goes into a checkpoint.
 */
export async function gravarCheckpoint(arm: Armazenamento, inst: Instantaneo, agora = Date.now()): Promise<void> {
  const p = inst.protocol;
  const comRecursos = p.minReaderVersion >= 3 || p.minWriterVersion >= 7;
  const schema = esquemaCheckpoint(comRecursos);
  const linhas: Record<string, unknown>[] = [];
  const m = inst.metadata;
  linhas.push({
    protocol: {
      minReaderVersion: p.minReaderVersion,
      minWriterVersion: p.minWriterVersion,
      ...(comRecursos
        ? { readerFeatures: p.minReaderVersion >= 3 ? (p.readerFeatures ?? []) : null, writerFeatures: p.writerFeatures ?? [] }
        : {}),
    },
  });
  linhas.push({
    metaData: {
      id: m.id,
      name: m.name ?? null,
      description: m.description ?? null,
      format: { provider: m.format.provider, options: paraMapa(m.format.options ?? {}) },
      schemaString: m.schemaString,
      partitionColumns: m.partitionColumns,
      createdTime: big(m.createdTime),
      configuration: paraMapa(m.configuration ?? {}),
    },
  });
  for (const t of inst.txns.values()) linhas.push({ txn: { appId: t.appId, version: big(t.version), lastUpdated: big(t.lastUpdated) } });
  for (const d of inst.dominios.values()) linhas.push({ domainMetadata: d });
  for (const a of inst.arquivos.values()) {
    linhas.push({
      add: {
        path: a.path,
        partitionValues: paraMapa(a.partitionValues),
        size: big(a.size),
        modificationTime: big(a.modificationTime),
        dataChange: false,
        stats: a.stats ?? null,
        tags: paraMapa(a.tags ?? null),
      },
    });
  }
  const retencao = duracaoMs(m.configuration["delta.deletedFileRetentionDuration"], 7 * 86_400_000);
  for (const r of inst.tombstones.values()) {
    if ((r.deletionTimestamp ?? 0) < agora - retencao) continue;
    linhas.push({
      remove: {
        path: r.path,
        deletionTimestamp: big(r.deletionTimestamp),
        dataChange: false,
        extendedFileMetadata: r.extendedFileMetadata ?? null,
        partitionValues: paraMapa(r.partitionValues ?? null),
        size: big(r.size),
      },
    });
  }
  const colunas: Record<string, arrow.Vector> = {};
  for (const campo of schema.fields) {
    colunas[campo.name] = arrow.vectorFromArray(
      linhas.map((l) => (l[campo.name] as unknown) ?? null),
      campo.type as never,
    );
  }
  const tabela = new arrow.Table(
    schema,
    new arrow.Table(colunas).batches.map((b) => new arrow.RecordBatch(schema, b.data)),
  );
  const bytes = gravarParquet(tabela, "snappy");
  await arm.gravar(`${PASTA_LOG}/${nomeCheckpoint(inst.versao)}`, bytes);
  const ultimo = { version: inst.versao, size: linhas.length, sizeInBytes: bytes.length, numOfAddFiles: inst.arquivos.size };
  await arm.gravar(`${PASTA_LOG}/_last_checkpoint`, Buffer.from(JSON.stringify(ultimo)));
}
