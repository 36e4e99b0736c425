// MERGE (upsert by key): source rows whose key exists in the table update it, delete it or are
// ignored; the others are inserted or ignored. Target files are pruned with the source's keys
// (their exact values when few, else their range), so merging new ids into a growing table
// reads only the newest files; the files with a matching key are rewritten.
import * as arrow from "apache-arrow";
import { leitor } from "../colunas";
import { type Condicao, type CondicaoCompilada, compilar, podeConter } from "../condicoes";
import { type Dados, conformar } from "../conformar";
import type { Instantaneo } from "../instantaneo";
import { emParalelo, filtrarTabela, juntarTabelas, lerArquivo } from "../leitura";
import { caminhoDecodificado } from "../log";
import { type Add, type DataType, ErroLake } from "../protocolo";
import { type Chave, campo, compararChaves, esquemaArrow, textoDeChave, textoDeMicros } from "../tipos";
import {
  type Contexto,
  type ResultadoEscrita,
  commitOuDescartar,
  exigirNaoSomenteAcrescimo,
  gravar,
  nadaGravado,
  paraEscrita,
  removerDe,
} from "./comum";

export interface OpcoesMesclagem {
  /** Columns that identify a row. */
  chaves: string[];
  quandoCorresponder?: "atualizar" | "excluir" | "ignorar";
  quandoNaoCorresponder?: "inserir" | "ignorar";
}

export interface ResultadoMesclagem extends ResultadoEscrita {
  linhasInseridas: number;
  linhasAtualizadas: number;
  linhasExcluidas: number;
}

type LeitorDeChave = (i: number) => Chave | null;

const chaveDe = (ls: LeitorDeChave[], i: number) => ls.map((l) => textoDeChave(l(i))).join("\u0001");

/** Source rows by key; null and repeated keys are refused. */
function indexarFonte(fonte: arrow.Table, chaves: string[]): Map<string, number> {
  const lerChaves = chaves.map((c) => leitor(fonte.getChild(c)!));
  const porChave = new Map<string, number>();
  for (let i = 0; i < fonte.numRows; i++) {
    const k = chaveDe(lerChaves, i);
    if (lerChaves.some((l) => l(i) === null))
      throw new ErroLake(`A linha ${i} dos dados tem chave nula (${chaves.join(", ")}): toda linha precisa de chave.`);
    if (porChave.has(k)) {
      throw new ErroLake(
        `A chave da linha ${i} aparece mais de uma vez nos dados (${chaves.join(", ")}): cada chave pode casar com uma linha só.`,
      );
    }
    porChave.set(k, i);
  }
  return porChave;
}

/** A key converted back to an input value paraChave accepts. */
function valorBruto(tipo: DataType, k: Chave): unknown {
  if (tipo === "date") return new Date((k as number) * 86_400_000).toISOString().slice(0, 10);
  if (tipo === "timestamp") return textoDeMicros(k as bigint);
  if (typeof tipo === "string" && tipo.startsWith("decimal")) return `${k}e-${/,(\d+)\)/.exec(tipo)![1]}`;
  return k;
}

/** Conditions that hold for every source key: `in` the exact values when few, else the range. */
function condicoesDasChaves(inst: Instantaneo, fonte: arrow.Table, chaves: string[]): CondicaoCompilada[] {
  const conds: Condicao[] = [];
  for (const c of chaves) {
    const tipo = campo(inst.esquema, c).type;
    const ler = leitor(fonte.getChild(c)!);
    const vistos = new Map<string, Chave>();
    let min: Chave | undefined;
    let max: Chave | undefined;
    for (let i = 0; i < fonte.numRows; i++) {
      const k = ler(i)!;
      vistos.set(textoDeChave(k), k);
      if (min === undefined || compararChaves(k, min) < 0) min = k;
      if (max === undefined || compararChaves(k, max) > 0) max = k;
    }
    if (vistos.size > 0 && vistos.size <= 200) conds.push([c, "in", [...vistos.values()].map((k) => valorBruto(tipo, k))]);
    else if (min !== undefined && max !== undefined) conds.push([c, ">=", valorBruto(tipo, min)], [c, "<=", valorBruto(tipo, max)]);
  }
  return compilar(conds, inst.esquema, inst.metadata.partitionColumns);
}

/** The target side of a merge: files rewritten, the rows they become, and the counts. */
interface Alvo {
  removidos: Add[];
  pedacos: arrow.Table[];
  casadas: Set<number>;
  atualizadas: number;
  excluidas: number;
}

/** Reads each candidate file and decides, row by row, what the merge does to it. */
async function percorrerAlvo(
  ctx: Contexto,
  inst: Instantaneo,
  candidatos: Add[],
  fonte: arrow.Table,
  porChave: Map<string, number>,
  opcoes: Required<OpcoesMesclagem>,
): Promise<Alvo> {
  const alvo: Alvo = { removidos: [], pedacos: [], casadas: new Set(), atualizadas: 0, excluidas: 0 };
  const todas = inst.esquema.fields.map((f) => f.name);
  await emParalelo(candidatos, 4, async (add) => {
    const t = await lerArquivo(ctx.arm, inst, add, todas);
    const ls = opcoes.chaves.map((c) => leitor(t.getChild(c)!));
    const manter: number[] = [];
    const daFonte: number[] = [];
    for (let i = 0; i < t.numRows; i++) {
      const j = porChave.get(chaveDe(ls, i));
      if (j === undefined) {
        manter.push(i);
        continue;
      }
      alvo.casadas.add(j);
      if (opcoes.quandoCorresponder === "ignorar") manter.push(i);
      else if (opcoes.quandoCorresponder === "atualizar") daFonte.push(j);
    }
    if (manter.length === t.numRows) return;
    alvo.removidos.push(add);
    if (opcoes.quandoCorresponder === "atualizar") alvo.atualizadas += daFonte.length;
    else alvo.excluidas += t.numRows - manter.length;
    alvo.pedacos.push(filtrarTabela(t, inst.esquema, manter));
    if (daFonte.length) alvo.pedacos.push(filtrarTabela(fonte, inst.esquema, daFonte));
  });
  return alvo;
}

function validarOpcoes(ctx: Contexto, inst: Instantaneo, opcoes: OpcoesMesclagem): Required<OpcoesMesclagem> {
  const corresponde = opcoes.quandoCorresponder ?? "atualizar";
  const naoCorresponde = opcoes.quandoNaoCorresponder ?? "inserir";
  if (!["atualizar", "excluir", "ignorar"].includes(corresponde)) {
    throw new ErroLake(`quandoCorresponder inválido: '${corresponde}'. Esperado "atualizar", "excluir" ou "ignorar".`);
  }
  if (!["inserir", "ignorar"].includes(naoCorresponde)) {
    throw new ErroLake(`quandoNaoCorresponder inválido: '${naoCorresponde}'. Esperado "inserir" ou "ignorar".`);
  }
  if (corresponde !== "ignorar") exigirNaoSomenteAcrescimo(ctx, inst, "mesclar com atualização/exclusão");
  const chaves = opcoes.chaves;
  if (!Array.isArray(chaves) || chaves.length === 0)
    throw new ErroLake('mesclar() precisa de chaves: ["coluna", …] que identificam a linha.');
  for (const c of chaves) campo(inst.esquema, c);
  return { chaves, quandoCorresponder: corresponde, quandoNaoCorresponder: naoCorresponde };
}

/**
 * Upsert by key (Delta's MERGE): source rows whose key exists in the table update it (or
 * delete it), the others are inserted. Duplicate keys in the source are an error.
 */
export async function mesclar(ctx: Contexto, dados: Dados, opcoesDadas: OpcoesMesclagem): Promise<ResultadoMesclagem> {
  const inst = await paraEscrita(ctx);
  const opcoes = validarOpcoes(ctx, inst, opcoesDadas);
  const fonte = conformar(dados, inst.esquema);
  const porChave = indexarFonte(fonte, opcoes.chaves);
  const compiladas = condicoesDasChaves(inst, fonte, opcoes.chaves);
  const candidatos = [...inst.arquivos.values()].filter((a) => podeConter(a, compiladas, inst.esquema));
  const alvo = await percorrerAlvo(ctx, inst, candidatos, fonte, porChave, opcoes);
  const inserir: number[] = [];
  if (opcoes.quandoNaoCorresponder === "inserir") for (let j = 0; j < fonte.numRows; j++) if (!alvo.casadas.has(j)) inserir.push(j);
  if (inserir.length) alvo.pedacos.push(filtrarTabela(fonte, inst.esquema, inserir));
  const base = { linhasInseridas: inserir.length, linhasAtualizadas: alvo.atualizadas, linhasExcluidas: alvo.excluidas };
  if (alvo.removidos.length === 0 && inserir.length === 0) return { ...nadaGravado(inst.versao), linhasAfetadas: 0, ...base };
  const schema = esquemaArrow(inst.esquema);
  const pedacos = alvo.pedacos.map(
    (p) =>
      new arrow.Table(
        schema,
        p.batches.map((b) => new arrow.RecordBatch(schema, b.data)),
      ),
  );
  const g = await gravar(ctx, inst, juntarTabelas(pedacos, schema));
  const agora = Date.now();
  const { chaves, quandoCorresponder: corresponde, quandoNaoCorresponder: naoCorresponde } = opcoes;
  const r = await commitOuDescartar(
    ctx,
    {
      leitura: inst,
      acoes: [...alvo.removidos.map((a) => ({ remove: removerDe(a, agora) })), ...g.adds.map((add) => ({ add }))],
      operacao: "MERGE",
      parametros: {
        predicate: chaves.map((c) => `t.${c} = s.${c}`).join(" AND "),
        matchedPredicates: [{ actionType: corresponde === "atualizar" ? "update" : corresponde === "excluir" ? "delete" : "none" }],
        notMatchedPredicates: [{ actionType: naoCorresponde === "inserir" ? "insert" : "none" }],
      },
      metricas: {
        numSourceRows: fonte.numRows,
        numTargetRowsInserted: inserir.length,
        numTargetRowsUpdated: alvo.atualizadas,
        numTargetRowsDeleted: alvo.excluidas,
        numTargetFilesRemoved: alvo.removidos.length,
        numTargetFilesAdded: g.adds.length,
      },
      acrescimoCego: false,
      leuArquivo: (add) => podeConter(add, compiladas, inst.esquema),
      arquivosLidos: new Set(candidatos.map((a) => caminhoDecodificado(a.path))),
    },
    g.adds,
  );
  return {
    versao: r.versao,
    tentativas: r.tentativas,
    arquivosAdicionados: g.adds.length,
    arquivosRemovidos: alvo.removidos.length,
    linhasEscritas: g.linhas,
    bytesEscritos: g.bytes,
    linhasAfetadas: inserir.length + alvo.atualizadas + alvo.excluidas,
    ...base,
  };
}
