// Predicates: ["coluna", "op", valor] conditions joined by AND (the filter shape pyarrow and
// delta-rs use), or a JavaScript function of a row. Conditions can prune whole files before
// reading them: by partition value, and by the min/max/nullCount stats in each add action.
import type * as arrow from "apache-arrow";
import { leitor } from "./colunas";
import { type Add, type StructType, ErroLake, descreverTipo } from "./protocolo";
import { chaveDeEstatistica, lerParticao } from "./serializacao";
import { type Chave, campo, compararChaves, mostrar, paraChave, textoDeChave, valorDeChave } from "./tipos";

export type Operador = "=" | "!=" | "<" | "<=" | ">" | ">=" | "in" | "not in" | "is null" | "is not null";
export type Condicao = [coluna: string, operador: "is null" | "is not null"] | [coluna: string, operador: Operador, valor: unknown];
export type Linha = Record<string, unknown>;
/** Conditions joined by AND, or a function of a row (which cannot prune files). */
export type Predicado = Condicao[] | ((linha: Linha) => boolean);

const OPERADORES = new Set<Operador>(["=", "!=", "<", "<=", ">", ">=", "in", "not in", "is null", "is not null"]);

export interface CondicaoCompilada {
  coluna: string;
  op: Operador;
  valores: Chave[];
  particao: boolean;
}

export function compilar(condicoes: Condicao[], esquema: StructType, particoes: string[]): CondicaoCompilada[] {
  if (!Array.isArray(condicoes)) throw new ErroLake(`Condições inválidas: ${mostrar(condicoes)}. Esperado [["coluna", "op", valor], …].`);
  return condicoes.map((c, i) => {
    if (!Array.isArray(c) || c.length < 2) {
      throw new ErroLake(
        `Condição ${i} inválida: ${mostrar(c)}. Esperado ["coluna", "op", valor], por exemplo ["dia", ">=", "2024-01-01"].`,
      );
    }
    const [coluna, op] = c;
    const f = campo(esquema, coluna);
    if (!OPERADORES.has(op)) {
      throw new ErroLake(`Operador desconhecido na condição ${i}: '${String(op)}'. Esperado um de: ${[...OPERADORES].join(", ")}.`);
    }
    if (typeof f.type !== "string") throw new ErroLake(`A coluna '${coluna}' (${descreverTipo(f.type)}) não pode ser usada em condições.`);
    const tipo = f.type;
    let valores: Chave[] = [];
    if (op === "in" || op === "not in") {
      const lista = c[2];
      if (!Array.isArray(lista))
        throw new ErroLake(`A condição ${i} (${coluna} ${op}) espera uma lista de valores, recebeu ${mostrar(lista)}.`);
      valores = lista.map((v) => paraChave(tipo, v, `condição ${i} (${coluna} ${op})`, true));
    } else if (op !== "is null" && op !== "is not null") {
      if (c[2] === null || c[2] === undefined) {
        throw new ErroLake(`A condição ${i} compara '${coluna}' com nulo: use ["${coluna}", "is null"] ou ["${coluna}", "is not null"].`);
      }
      valores = [paraChave(tipo, c[2], `condição ${i} (${coluna} ${op})`, true)];
    }
    return { coluna, op, valores, particao: particoes.includes(coluna) };
  });
}

// A long "in" list (ids of thousands of orders) is checked per row and per file: as a set of
// normalized keys and as a sorted array, built once per compiled condition.
const conjuntos = new WeakMap<CondicaoCompilada, Set<string>>();
const ordenacoes = new WeakMap<CondicaoCompilada, Chave[]>();

function conjunto(c: CondicaoCompilada): Set<string> {
  let s = conjuntos.get(c);
  if (!s) {
    s = new Set(c.valores.map(textoDeChave));
    conjuntos.set(c, s);
  }
  return s;
}

function emOrdem(c: CondicaoCompilada): Chave[] {
  let o = ordenacoes.get(c);
  if (!o) {
    o = [...c.valores].sort(compararChaves);
    ordenacoes.set(c, o);
  }
  return o;
}

/** SQL semantics on one value: comparisons with null are false. */
export function satisfaz(c: CondicaoCompilada, k: Chave | null): boolean {
  if (c.op === "is null") return k === null;
  if (c.op === "is not null") return k !== null;
  if (k === null) return false;
  if (typeof k === "number" && Number.isNaN(k)) return c.op === "!=" || c.op === "not in";
  const v = c.valores[0]!;
  switch (c.op) {
    case "=":
      return compararChaves(k, v) === 0;
    case "!=":
      return compararChaves(k, v) !== 0;
    case "<":
      return compararChaves(k, v) < 0;
    case "<=":
      return compararChaves(k, v) <= 0;
    case ">":
      return compararChaves(k, v) > 0;
    case ">=":
      return compararChaves(k, v) >= 0;
    case "in":
      return conjunto(c).has(textoDeChave(k));
    case "not in":
      return !conjunto(c).has(textoDeChave(k));
  }
  return false;
}

interface Estatisticas {
  numRecords?: number;
  minValues?: Record<string, unknown>;
  maxValues?: Record<string, unknown>;
  nullCount?: Record<string, unknown>;
}

const cacheStats = new WeakMap<Add, Estatisticas | null>();

export function statsDe(add: Add): Estatisticas | null {
  let s = cacheStats.get(add);
  if (s === undefined) {
    try {
      s = add.stats ? (JSON.parse(add.stats) as Estatisticas) : null;
    } catch {
      s = null;
    }
    cacheStats.set(add, s);
  }
  return s;
}

/**
 * False only when the file certainly has no row matching every condition (so it can be
 * skipped). Partition conditions are exact; stats conditions are conservative.
 */
export function podeConter(add: Add, conds: CondicaoCompilada[], esquema: StructType): boolean {
  for (const c of conds) {
    const tipo = campo(esquema, c.coluna).type;
    if (c.particao) {
      if (!satisfaz(c, lerParticao(tipo, add.partitionValues[c.coluna], c.coluna))) return false;
      continue;
    }
    const s = statsDe(add);
    if (!s) continue;
    const nulos = typeof s.nullCount?.[c.coluna] === "number" ? (s.nullCount[c.coluna] as number) : undefined;
    const todosNulos = nulos !== undefined && s.numRecords !== undefined && nulos === s.numRecords;
    if (c.op === "is null") {
      if (nulos === 0) return false;
      continue;
    }
    if (todosNulos) return false; // every other operator is false on null
    if (c.op === "is not null") continue;
    const min = chaveDeEstatistica(tipo, s.minValues?.[c.coluna], false);
    const max = chaveDeEstatistica(tipo, s.maxValues?.[c.coluna], true);
    const v = c.valores[0];
    const abaixo = (x: Chave) => min !== undefined && compararChaves(x, min) < 0;
    const acima = (x: Chave) => max !== undefined && compararChaves(x, max) > 0;
    switch (c.op) {
      case "=":
        if (abaixo(v!) || acima(v!)) return false;
        break;
      case "in": {
        // The smallest listed value not below the file's min must not be above its max.
        const ordenados = emOrdem(c);
        let lo = 0;
        let hi = ordenados.length;
        while (lo < hi) {
          const meio = (lo + hi) >> 1;
          if (abaixo(ordenados[meio]!)) lo = meio + 1;
          else hi = meio;
        }
        if (lo === ordenados.length || acima(ordenados[lo]!)) return false;
        break;
      }
      case "<":
        if (min !== undefined && compararChaves(min, v!) >= 0) return false;
        break;
      case "<=":
        if (min !== undefined && compararChaves(min, v!) > 0) return false;
        break;
      case ">":
        if (max !== undefined && compararChaves(max, v!) <= 0) return false;
        break;
      case ">=":
        if (max !== undefined && compararChaves(max, v!) < 0) return false;
        break;
      default:
        break;
    }
  }
  return true;
}

/** True when every row of the file matches (only decidable from partition values). */
export function contemTudo(add: Add, conds: CondicaoCompilada[], esquema: StructType): boolean {
  return conds.every((c) => c.particao && satisfaz(c, lerParticao(campo(esquema, c.coluna).type, add.partitionValues[c.coluna], c.coluna)));
}

/** A row's values as a student sees them (long → bigint, decimal → string, date/timestamp → Date). */
export function leitorDeLinhas(tabela: arrow.Table, esquema: StructType): (i: number) => Linha {
  const leitores = esquema.fields.map((f) => {
    const vec = tabela.getChild(f.name);
    const ler = vec ? leitor(vec) : () => null;
    return [f.name, f.type, ler] as const;
  });
  return (i) => {
    const linha: Linha = {};
    for (const [nome, tipo, ler] of leitores) linha[nome] = valorDeChave(tipo, ler(i));
    return linha;
  };
}

/** Row filter over a table in the schema's canonical types. */
export function avaliador(pred: Predicado, tabela: arrow.Table, esquema: StructType, particoes: string[]): (i: number) => boolean {
  if (typeof pred === "function") {
    const linha = leitorDeLinhas(tabela, esquema);
    return (i) => {
      const r = pred(linha(i));
      if (typeof r !== "boolean") throw new ErroLake(`A função de filtro devolveu ${mostrar(r)}; esperado true ou false.`);
      return r;
    };
  }
  const conds = compilar(pred, esquema, particoes);
  const leitores = conds.map((c) => {
    const vec = tabela.getChild(c.coluna);
    return vec ? leitor(vec) : () => null;
  });
  return (i) => {
    for (let k = 0; k < conds.length; k++) if (!satisfaz(conds[k]!, leitores[k]!(i))) return false;
    return true;
  };
}
