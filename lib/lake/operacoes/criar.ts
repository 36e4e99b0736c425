// CREATE TABLE: version 0 holds protocol (reader 1 / writer 2), metaData (schema, partition
// columns, properties) and, when data is given, the adds of its files. The schema comes in
// Delta's StructType, in a short form ({ coluna: "tipo" }), or from an Arrow table, and is
// checked here, before anything is written.
import { randomUUID } from "node:crypto";
import * as arrow from "apache-arrow";
import { type Dados, conformar } from "../conformar";
import { listarLog } from "../log";
import { compressaoDaTabela } from "../parquet";
import {
  type DataType,
  type Metadata,
  type StructField,
  type StructType,
  ErroLake,
  PROTOCOLO_PADRAO,
  descreverTipo,
  lerEsquema,
} from "../protocolo";
import { campo, tipoDelta } from "../tipos";
import { type Contexto, type ResultadoEscrita, commitarAcrescimo, gravar, nadaGravado } from "./comum";

/** Column → Delta type ("long", "decimal(12,2)", "date", …; append " not null" to forbid nulls). */
export type EsquemaSimples = Record<string, string>;

export interface OpcoesCriacao {
  /** Schema: Delta's StructType, the short form, or taken from `dados` when it is an Arrow table. */
  esquema?: StructType | EsquemaSimples;
  dados?: Dados;
  particionarPor?: string[];
  /** Table properties (metaData.configuration), e.g. {"delta.checkpointInterval": "10"}. */
  configuracao?: Record<string, string>;
  nome?: string;
  descricao?: string;
  /** What to do when a table already exists there (default "erro"). */
  seExistir?: "erro" | "ignorar";
}

function esquemaDeSimples(s: EsquemaSimples): StructType {
  const campos: StructField[] = Object.entries(s).map(([nome, texto]) => {
    if (typeof texto !== "string")
      throw new ErroLake(`Tipo inválido para a coluna '${nome}': ${String(texto)}. Esperado um texto como "long" ou "decimal(12,2)".`);
    const m = /^\s*(.+?)(\s+not\s+null)?\s*$/i.exec(texto)!;
    return { name: nome, type: m[1]!.trim() as DataType, nullable: !m[2], metadata: {} };
  });
  // Validates the type names through the same parser the log uses.
  return lerEsquema(JSON.stringify({ type: "struct", fields: campos }));
}

function esquemaDaCriacao(opcoes: OpcoesCriacao): StructType {
  const e = opcoes.esquema;
  if (e && "type" in e && e.type === "struct" && Array.isArray((e as StructType).fields)) return lerEsquema(JSON.stringify(e));
  if (e) return esquemaDeSimples(e as EsquemaSimples);
  if (opcoes.dados instanceof arrow.Table) {
    return {
      type: "struct",
      fields: opcoes.dados.schema.fields.map((f) => ({
        name: f.name,
        type: tipoDelta(f.type, f.name),
        nullable: f.nullable,
        metadata: {},
      })),
    };
  }
  throw new ErroLake("Para criar a tabela, informe o esquema (esquema: { coluna: 'tipo' }) ou dados como arrow.Table.");
}

function validarColunas(esquema: StructType): void {
  if (esquema.fields.length === 0) throw new ErroLake("O esquema precisa de pelo menos uma coluna.");
  const vistos = new Map<string, string>();
  for (const f of esquema.fields) {
    const k = f.name.toLowerCase();
    if (vistos.has(k))
      throw new ErroLake(`Colunas repetidas no esquema: '${vistos.get(k)}' e '${f.name}' (Delta não diferencia maiúsculas).`);
    if (!f.name || /[ ,;{}()\n\t=]/.test(f.name)) {
      throw new ErroLake(`Nome de coluna inválido: '${f.name}'. Evite espaços e os caracteres ,;{}()=.`);
    }
    vistos.set(k, f.name);
    if (typeof f.type !== "string")
      throw new ErroLake(`A coluna '${f.name}' tem o tipo ${descreverTipo(f.type)}: o lib/lake grava apenas tipos primitivos.`);
    if (f.type === "timestamp_ntz") {
      throw new ErroLake(`A coluna '${f.name}' é timestamp_ntz, que exige o recurso timestampNtz (protocolo 3/7): use timestamp (UTC).`);
    }
  }
}

function validarParticoes(esquema: StructType, particoes: string[]): void {
  for (const p of particoes) {
    if (!esquema.fields.some((f) => f.name === p)) {
      throw new ErroLake(`Coluna de partição desconhecida: '${p}'. Colunas da tabela: ${esquema.fields.map((f) => f.name).join(", ")}.`);
    }
    const t = campo(esquema, p).type;
    if (t === "float" || t === "double" || t === "binary")
      throw new ErroLake(`A coluna '${p}' (${String(t)}) não serve para particionar: use texto, inteiro ou data.`);
  }
  if (new Set(particoes).size !== particoes.length) throw new ErroLake(`Colunas de partição repetidas: ${particoes.join(", ")}.`);
  if (particoes.length === esquema.fields.length)
    throw new ErroLake("Não dá para particionar por todas as colunas: sobraria arquivo sem dados.");
}

function metadadosDaCriacao(opcoes: OpcoesCriacao, esquema: StructType, particoes: string[]): Metadata {
  const metadata: Metadata = {
    id: randomUUID(),
    ...(opcoes.nome ? { name: opcoes.nome } : {}),
    ...(opcoes.descricao ? { description: opcoes.descricao } : {}),
    format: { provider: "parquet", options: {} },
    schemaString: JSON.stringify(esquema),
    partitionColumns: particoes,
    createdTime: Date.now(),
    configuration: { ...(opcoes.configuracao ?? {}) },
  };
  for (const [k, v] of Object.entries(metadata.configuration)) {
    if (typeof v !== "string") throw new ErroLake(`Propriedade ${k} inválida: ${String(v)}. Os valores de configuracao são textos.`);
  }
  compressaoDaTabela(metadata.configuration);
  return metadata;
}

export async function criar(ctx: Contexto, opcoes: OpcoesCriacao): Promise<ResultadoEscrita> {
  const particoes = opcoes.particionarPor ?? [];
  const esquema = esquemaDaCriacao(opcoes);
  validarColunas(esquema);
  validarParticoes(esquema, particoes);
  const listagem = await listarLog(ctx.arm);
  if (listagem.commits.size > 0 || listagem.checkpoints.size > 0) {
    if (opcoes.seExistir === "ignorar") return nadaGravado((await ctx.instantaneo()).versao);
    throw new ErroLake(`Já existe uma tabela Delta em ${ctx.arm.url}. Use anexar()/sobrescrever(), ou seExistir: "ignorar".`);
  }
  const metadata = metadadosDaCriacao(opcoes, esquema, particoes);
  const tabela = opcoes.dados ? conformar(opcoes.dados, esquema) : undefined;
  const g = tabela ? await gravar(ctx, { esquema, metadata }, tabela) : { adds: [], linhas: 0, bytes: 0 };
  return commitarAcrescimo(
    ctx,
    {
      leitura: undefined,
      antes: [{ protocol: PROTOCOLO_PADRAO }, { metaData: metadata }],
      operacao: "CREATE TABLE",
      parametros: { partitionBy: particoes, description: opcoes.descricao ?? null, properties: metadata.configuration, isManaged: "false" },
    },
    g,
  );
}
