// Conforming input to a table's schema: an array of rows (plain objects a student writes) or any
// Arrow table becomes an Arrow table with exactly the schema's columns, in order, in the
// canonical Arrow types (tipos.ts). Other Arrow types are cast when no value can change (wider
// units of time, decimal scales, numbers that fit); anything else is a pt-BR error naming the
// row or column, before a single byte is written.
import * as arrow from "apache-arrow";
import { construir, leitor } from "./colunas";
import { type DataType, type PrimitiveType, type StructType, ErroLake, decimal, descreverTipo } from "./protocolo";
import { arrowCanonico, mostrar, paraChave, tipoArrow } from "./tipos";

/** Rows (plain objects) or an Arrow table. */
export type Dados = arrow.Table | Record<string, unknown>[];

/**
 * The input as an Arrow table with exactly the schema's columns, in order, in canonical types.
 * Missing nullable columns become nulls; anything else that does not fit is a pt-BR error.
 */
export function conformar(dados: Dados, esquema: StructType): arrow.Table {
  if (Array.isArray(dados)) return conformarLinhas(dados, esquema);
  if (!(dados instanceof arrow.Table)) {
    throw new ErroLake(`Dados inválidos: ${mostrar(dados)}. Esperado um arrow.Table ou um array de objetos.`);
  }
  return conformarArrow(dados, esquema);
}

function conformarLinhas(dados: Record<string, unknown>[], esquema: StructType): arrow.Table {
  const nomes = new Set(esquema.fields.map((f) => f.name));
  const n = dados.length;
  for (let i = 0; i < n; i++) {
    const linha = dados[i];
    if (linha === null || typeof linha !== "object" || Array.isArray(linha)) {
      throw new ErroLake(`Linha ${i} inválida: ${mostrar(linha)}. Esperado um objeto { coluna: valor }.`);
    }
    for (const k in linha) {
      if (!nomes.has(k)) {
        throw new ErroLake(
          `A linha ${i} tem a coluna '${k}', que não existe no esquema da tabela. Colunas esperadas: ${[...nomes].join(", ")}.`,
        );
      }
    }
  }
  const colunas: Record<string, arrow.Vector> = {};
  for (const f of esquema.fields) {
    const tipo = f.type;
    if (typeof tipo !== "string") throw new ErroLake(`Coluna '${f.name}': tipo ${descreverTipo(tipo)} não é suportado pelo lib/lake.`);
    colunas[f.name] = construir(tipo, n, (i) => {
      const v = dados[i]![f.name];
      if (v === null || v === undefined) {
        if (!f.nullable) throw new ErroLake(`A linha ${i} não tem valor para '${f.name}', que não aceita nulos (nullable: false).`);
        return null;
      }
      return paraChave(tipo, v, `linha ${i}, coluna '${f.name}'`);
    });
  }
  return new arrow.Table(colunas);
}

function conformarArrow(dados: arrow.Table, esquema: StructType): arrow.Table {
  const nomes = new Set(esquema.fields.map((f) => f.name));
  for (const f of dados.schema.fields) {
    if (!nomes.has(f.name)) {
      throw new ErroLake(
        `A tabela Arrow tem a coluna '${f.name}', que não existe no esquema da tabela. Colunas esperadas: ${[...nomes].join(", ")}.`,
      );
    }
  }
  const n = dados.numRows;
  const colunas: Record<string, arrow.Vector> = {};
  for (const f of esquema.fields) {
    const vec = dados.getChild(f.name);
    if (!vec) {
      if (!f.nullable) throw new ErroLake(`Falta a coluna '${f.name}', que não aceita nulos (nullable: false).`);
      colunas[f.name] = construir(f.type, n, () => null);
      continue;
    }
    const coluna = arrowCanonico(vec.type, f.type) ? vec : castar(vec, f.type, f.name);
    if (!f.nullable && coluna.nullCount > 0) {
      throw new ErroLake(`A coluna '${f.name}' tem ${coluna.nullCount} valor(es) nulo(s), mas não aceita nulos (nullable: false).`);
    }
    colunas[f.name] = coluna;
  }
  return new arrow.Table(colunas);
}

const POR_UNIDADE: Record<number, [bigint, bigint]> = {
  [arrow.TimeUnit.SECOND]: [1_000_000n, 1n],
  [arrow.TimeUnit.MILLISECOND]: [1000n, 1n],
  [arrow.TimeUnit.MICROSECOND]: [1n, 1n],
  [arrow.TimeUnit.NANOSECOND]: [1n, 1000n],
};

/** Converts a column of another Arrow type to the canonical type of `tipo`, or explains why not. */
export function castar(vec: arrow.Vector, tipo: DataType, nome: string): arrow.Vector {
  const de = vec.type;
  if (typeof tipo === "string" && arrow.DataType.isTimestamp(de) && (tipo === "timestamp" || tipo === "timestamp_ntz")) {
    return castarInstantes(vec, de, tipo);
  }
  if (arrow.DataType.isDecimal(de) && decimal(tipo)) return castarDecimais(vec, de, tipo as PrimitiveType, nome);
  if (typeof tipo !== "string" || !conversaoPermitida(de, tipo)) {
    throw new ErroLake(
      `A coluna '${nome}' tem o tipo Arrow ${String(de)}, incompatível com o tipo Delta ${descreverTipo(tipo)} da tabela. ` +
        `Esperado ${String(tipoArrow(tipo))}.`,
    );
  }
  const instante = tipo === "date" || tipo === "timestamp" || tipo === "timestamp_ntz";
  const inteiro = tipo === "long" || tipo === "integer" || tipo === "short" || tipo === "byte";
  return construir(tipo, vec.length, (i) => {
    let v: unknown = vec.get(i);
    if (v === null || v === undefined) return null;
    if (instante && typeof v === "number") v = new Date(v);
    if (arrow.DataType.isFloat(de) && inteiro && !Number.isInteger(v)) {
      throw new ErroLake(`A coluna '${nome}' tem o valor ${mostrar(v)}, que não é inteiro como o tipo ${tipo} exige.`);
    }
    return paraChave(tipo, v, `coluna '${nome}', linha ${i}`);
  });
}

/** Whether values of Arrow type `de` convert to Delta type `tipo` one by one (through paraChave). */
function conversaoPermitida(de: arrow.DataType, tipo: PrimitiveType): boolean {
  const numerico =
    tipo === "long" ||
    tipo === "integer" ||
    tipo === "short" ||
    tipo === "byte" ||
    tipo === "double" ||
    tipo === "float" ||
    !!decimal(tipo);
  return (
    (numerico && (arrow.DataType.isInt(de) || arrow.DataType.isFloat(de))) ||
    (tipo === "string" && (arrow.DataType.isUtf8(de) || arrow.DataType.isLargeUtf8(de) || arrow.DataType.isDictionary(de))) ||
    (tipo === "binary" && (arrow.DataType.isBinary(de) || arrow.DataType.isLargeBinary(de))) ||
    (tipo === "date" && (arrow.DataType.isDate(de) || arrow.DataType.isTimestamp(de))) ||
    ((tipo === "timestamp" || tipo === "timestamp_ntz") && arrow.DataType.isDate(de)) ||
    (tipo === "boolean" && arrow.DataType.isBool(de)) ||
    String(de).startsWith("Utf8View") ||
    String(de).startsWith("BinaryView")
  );
}

/** Any unit of time to microseconds (nanoseconds floor, as instants before 1970 must). */
function castarInstantes(vec: arrow.Vector, de: arrow.Timestamp, tipo: "timestamp" | "timestamp_ntz"): arrow.Vector {
  const [mul, div] = POR_UNIDADE[de.unit]!;
  const ler = leitor(vec) as (i: number) => number | bigint | null;
  return construir(tipo, vec.length, (i) => {
    const v = ler(i);
    if (v === null) return null;
    const b = BigInt(v);
    if (div === 1n) return b * mul;
    const q = b / div;
    return b < 0n && b % div !== 0n ? q - 1n : q;
  });
}

/** Another decimal scale: exact, or refused when digits would be lost. */
function castarDecimais(vec: arrow.Vector, de: arrow.Decimal, tipo: PrimitiveType, nome: string): arrow.Vector {
  const dif = decimal(tipo)!.escala - de.scale;
  const ler = leitor(vec) as (i: number) => bigint | null;
  return construir(tipo, vec.length, (i) => {
    const v = ler(i);
    if (v === null) return null;
    if (dif >= 0) return v * 10n ** BigInt(dif);
    const f = 10n ** BigInt(-dif);
    if (v % f !== 0n) throw new ErroLake(`A coluna '${nome}' tem valores com mais casas decimais do que ${tipo} permite.`);
    return v / f;
  });
}
