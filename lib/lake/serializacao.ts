// Keys in the log's text forms: partition values (strings in add.partitionValues, and the
// Hive-style directory names Spark and delta-rs use) and stats values (JSON in add.stats), both
// ways. Reading accepts what other engines write; a bound that cannot be trusted (a cut string,
// a decimal beyond double precision) is dropped rather than used to skip a file wrongly.
import { type DataType, ErroLake, decimal, descreverTipo } from "./protocolo";
import {
  type Chave,
  decimalParaInteiro,
  diaDeTexto,
  inteiroParaDecimal,
  microsDeTexto,
  paraChave,
  textoDeDia,
  textoDeMicros,
} from "./tipos";

// ---------------------------------------------------------------------------------------------
// Partition values (strings in the log)

export function serializarParticao(tipo: DataType, k: Chave | null): string | null {
  if (k === null) return null;
  if (typeof tipo !== "string") throw new ErroLake(`Colunas do tipo ${descreverTipo(tipo)} não podem ser de partição.`);
  const dec = decimal(tipo);
  if (dec) return inteiroParaDecimal(k as bigint, dec.escala);
  switch (tipo) {
    case "date":
      return textoDeDia(k as number);
    case "timestamp":
      return textoDeMicros(k as bigint);
    case "timestamp_ntz": {
      const t = textoDeMicros(k as bigint);
      return `${t.slice(0, 10)} ${t.slice(11, 26)}`;
    }
    case "binary":
      return new TextDecoder("latin1").decode(k as Uint8Array);
    default:
      return String(k);
  }
}

export function lerParticao(tipo: DataType, s: string | null | undefined, coluna: string): Chave | null {
  if (s === null || s === undefined || s === "") return null;
  if (typeof tipo === "string" && tipo === "binary") return Uint8Array.from(s, (c) => c.charCodeAt(0) & 0xff);
  if (typeof tipo === "string" && tipo === "string") return s;
  if (typeof tipo === "string" && (tipo === "float" || tipo === "double")) {
    const n = Number(s);
    if (Number.isNaN(n) && s !== "NaN") throw new ErroLake(`Valor de partição inválido no log: ${coluna}=${s}.`);
    return n;
  }
  if (typeof tipo === "string" && tipo === "boolean") return s.toLowerCase() === "true";
  return paraChave(tipo, s, `valor de partição ${coluna}`);
}

/** Hive-style escaping of a partition directory value, as Spark and delta-rs do. */
export function escaparDiretorio(valor: string | null): string {
  if (valor === null) return "__HIVE_DEFAULT_PARTITION__";
  let s = "";
  for (const ch of valor) {
    const c = ch.codePointAt(0)!;
    if (c < 0x20 || c === 0x7f || "\"#%'*/:=?\\{[]^".includes(ch)) {
      s += `%${c.toString(16).toUpperCase().padStart(2, "0")}`;
    } else s += ch;
  }
  return s;
}

// ---------------------------------------------------------------------------------------------
// Stats values (JSON in add.stats)

/** A number written verbatim into JSON (longs and decimals beyond double precision). */
class NumeroJson {
  constructor(readonly texto: string) {}
}

const PREFIXO_TEXTO = 32;

/** Stats value for a min (lower=true) or max bound, or undefined when none should be written. */
export function estatisticaDeChave(tipo: DataType, k: Chave, inferior: boolean): unknown {
  if (typeof tipo !== "string") return undefined;
  const dec = decimal(tipo);
  if (dec) return new NumeroJson(inteiroParaDecimal(k as bigint, dec.escala));
  switch (tipo) {
    case "long":
      return new NumeroJson((k as bigint).toString());
    case "integer":
    case "short":
    case "byte":
      return k;
    case "float":
    case "double":
      return Number.isFinite(k as number) ? k : undefined;
    case "date":
      return textoDeDia(k as number);
    case "timestamp":
    case "timestamp_ntz": {
      // Truncated down to milliseconds, as the protocol says readers expect.
      let ms = (k as bigint) / 1000n;
      if ((k as bigint) < 0n && (k as bigint) % 1000n !== 0n) ms -= 1n;
      const iso = new Date(Number(ms)).toISOString();
      return tipo === "timestamp" ? iso : iso.slice(0, -1);
    }
    case "string": {
      const s = k as string;
      const pontos = [...s];
      if (pontos.length <= PREFIXO_TEXTO) return s;
      // A prefix is a valid lower bound; a cut upper bound would not be, so no max.
      return inferior ? pontos.slice(0, PREFIXO_TEXTO).join("") : undefined;
    }
    default:
      return undefined;
  }
}

/** Bound key from a stats value written by any engine; undefined when unusable. */
export function chaveDeEstatistica(tipo: DataType, v: unknown, superior: boolean): Chave | undefined {
  if (v === null || v === undefined || typeof tipo !== "string") return undefined;
  const dec = decimal(tipo);
  try {
    if (dec) {
      if (typeof v !== "number" && typeof v !== "string") return undefined;
      const texto = String(v);
      if (texto.replace(/[^0-9]/g, "").replace(/^0+/, "").length > 15) return undefined;
      const u = decimalParaInteiro(texto, dec.escala);
      if (u === undefined) return undefined;
      // Rounding to the scale could move the bound inwards: widen by one unit.
      return superior ? u + 1n : u - 1n;
    }
    switch (tipo) {
      case "long":
        return typeof v === "number" && Number.isSafeInteger(v) ? BigInt(v) : undefined;
      case "integer":
      case "short":
      case "byte":
      case "float":
      case "double":
        return typeof v === "number" ? v : undefined;
      case "date":
        return typeof v === "string" ? diaDeTexto(v.slice(0, 10)) : undefined;
      case "timestamp":
      case "timestamp_ntz": {
        if (typeof v !== "string") return undefined;
        const us = microsDeTexto(v);
        if (us === undefined) return undefined;
        return superior ? us + 999n : us;
      }
      case "string":
        return typeof v === "string" ? v : undefined;
      default:
        return undefined;
    }
  } catch {
    return undefined;
  }
}

/** JSON.stringify that writes NumeroJson values as bare numbers. */
export function jsonComNumeros(valor: unknown): string {
  const marcas: string[] = [];
  const texto = JSON.stringify(valor, (_k, v: unknown) => {
    if (v instanceof NumeroJson) {
      marcas.push(v.texto);
      return `\u0000N${marcas.length - 1}\u0000`;
    }
    if (typeof v === "bigint") return Number(v);
    return v;
  });
  return texto.replace(/"\\u0000N(\d+)\\u0000"/g, (_m, i: string) => marcas[Number(i)]!);
}
