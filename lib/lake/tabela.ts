// Table operations, each one a Delta transaction: write data files first, then commit one
// version that adds and removes them. Create, append, overwrite (replaceWhere), delete, update,
// merge (upsert by key), optimize, vacuum, history, restore, and reads at any version.
import { randomUUID } from "node:crypto";
import * as arrow from "apache-arrow";
import { type Armazenamento, ArmazenamentoS3, type LocalTabela, interpretarLocal } from "./armazenamento";
import { construir, conformar, leitor, type Dados } from "./colunas";
import { type Condicao, type Linha, type Predicado, avaliador, compilar, contemTudo, leitorDeLinhas, podeConter } from "./condicoes";
import { type ArquivosGravados, gravarArquivos } from "./escrita";
import {
  type AlvoLeitura,
  type Instantaneo,
  type ResultadoCommit,
  type Transacao,
  caminhoDecodificado,
  carregarInstantaneo,
  commitar,
  duracaoMs,
  gravarCheckpoint,
  lerCommit,
  listarLog,
} from "./log";
import { type OpcoesLeitura, type ResultadoLeitura, arquivosCandidatos, emParalelo, filtrarTabela, juntarTabelas, lerArquivo, lerTabela } from "./leitura";
import { compressaoDaTabela } from "./parquet";
import {
  type Action,
  type Add,
  type DataType,
  type Metadata,
  type Remove,
  type StructField,
  type StructType,
  ErroLake,
  PASTA_LOG,
  PROTOCOLO_PADRAO,
  descreverTipo,
  exigirEscrita,
  lerEsquema,
} from "./protocolo";
import { type Chave, campo, compararChaves, esquemaArrow, paraChave, textoDeChave, textoDeMicros, tipoDelta } from "./tipos";

/** A value for `definir`, or a function computing it from the row. */
export type ValorOuFuncao = string | number | bigint | boolean | Date | Uint8Array | null | ((linha: Linha) => unknown);

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

export interface ResultadoEscrita {
  versao: number;
  /** Commit attempts (more than 1 when other writers won a race first). */
  tentativas: number;
  arquivosAdicionados: number;
  arquivosRemovidos: number;
  linhasEscritas: number;
  bytesEscritos: number;
  /** Rows deleted / updated / merged, for the operations that touch existing rows. */
  linhasAfetadas?: number;
}

export interface ResultadoMesclagem extends ResultadoEscrita {
  linhasInseridas: number;
  linhasAtualizadas: number;
  linhasExcluidas: number;
}

export interface EntradaHistorico {
  versao: number;
  timestamp: Date;
  operacao: string;
  parametros: Record<string, unknown>;
  metricas: Record<string, unknown>;
  motor?: string;
  versaoLida?: number;
}

export interface ResultadoVacuum {
  simulacao: boolean;
  /** Data files deleted (or that would be, in a dry run), relative to the table root. */
  arquivos: string[];
  bytes: number;
}

export interface OpcoesTabela {
  /** Checkpoint every N commits (default: delta.checkpointInterval or 10; 0 = never). */
  intervaloCheckpoint?: number;
}

const RETENCAO_PADRAO_MS = 7 * 86_400_000;

function esquemaDeSimples(s: EsquemaSimples): StructType {
  const campos: StructField[] = Object.entries(s).map(([nome, texto]) => {
    if (typeof texto !== "string") throw new ErroLake(`Tipo inválido para a coluna '${nome}': ${String(texto)}. Esperado um texto como "long" ou "decimal(12,2)".`);
    const m = /^\s*(.+?)(\s+not\s+null)?\s*$/i.exec(texto)!;
    return { name: nome, type: m[1]!.trim() as DataType, nullable: !m[2], metadata: {} };
  });
  // Validates the type names through the same parser the log uses.
  return lerEsquema(JSON.stringify({ type: "struct", fields: campos }));
}

function validarEsquema(esquema: StructType, particoes: string[]): void {
  if (esquema.fields.length === 0) throw new ErroLake("O esquema precisa de pelo menos uma coluna.");
  const vistos = new Map<string, string>();
  for (const f of esquema.fields) {
    const k = f.name.toLowerCase();
    if (vistos.has(k)) throw new ErroLake(`Colunas repetidas no esquema: '${vistos.get(k)}' e '${f.name}' (Delta não diferencia maiúsculas).`);
    if (!f.name || /[ ,;{}()\n\t=]/.test(f.name)) {
      throw new ErroLake(`Nome de coluna inválido: '${f.name}'. Evite espaços e os caracteres ,;{}()=.`);
    }
    vistos.set(k, f.name);
    if (typeof f.type !== "string") throw new ErroLake(`A coluna '${f.name}' tem o tipo ${descreverTipo(f.type)}: o lib/lake grava apenas tipos primitivos.`);
    if (f.type === "timestamp_ntz") {
      throw new ErroLake(`A coluna '${f.name}' é timestamp_ntz, que exige o recurso timestampNtz (protocolo 3/7): use timestamp (UTC).`);
    }
  }
  for (const p of particoes) {
    if (!esquema.fields.some((f) => f.name === p)) {
      throw new ErroLake(`Coluna de partição desconhecida: '${p}'. Colunas da tabela: ${esquema.fields.map((f) => f.name).join(", ")}.`);
    }
    const t = campo(esquema, p).type;
    if (t === "float" || t === "double" || t === "binary") throw new ErroLake(`A coluna '${p}' (${String(t)}) não serve para particionar: use texto, inteiro ou data.`);
  }
  if (new Set(particoes).size !== particoes.length) throw new ErroLake(`Colunas de partição repetidas: ${particoes.join(", ")}.`);
  if (particoes.length === esquema.fields.length) throw new ErroLake("Não dá para particionar por todas as colunas: sobraria arquivo sem dados.");
}

function removerDe(add: Add, agora: number): Remove {
  return {
    path: add.path,
    deletionTimestamp: agora,
    dataChange: true,
    extendedFileMetadata: true,
    partitionValues: add.partitionValues,
    size: add.size,
    ...(add.stats ? { stats: add.stats } : {}),
  };
}

/** A Delta table on MinIO. Create one with `tabelaDelta("s3://raw/vendas")`. */
export class TabelaDelta {
  readonly arm: Armazenamento;
  private cache?: Instantaneo;

  constructor(
    local: LocalTabela | Armazenamento,
    private readonly opcoes: OpcoesTabela = {},
  ) {
    if (typeof local === "object" && "gravarSeAusente" in local) this.arm = local;
    else {
      const { bucket, caminho } = interpretarLocal(local);
      this.arm = new ArmazenamentoS3(bucket, caminho);
    }
  }

  get url(): string {
    return this.arm.url;
  }

  /** The snapshot at a version / instant (latest by default). */
  async instantaneo(alvo: AlvoLeitura = {}): Promise<Instantaneo> {
    const latest = alvo.versao === undefined && alvo.timestamp === undefined;
    const inst = await carregarInstantaneo(this.arm, alvo, latest ? this.cache : undefined);
    if (!inst) throw new ErroLake(`Não existe tabela Delta em ${this.url}: crie-a com criar().`);
    if (latest) this.cache = inst;
    return inst;
  }

  async existe(): Promise<boolean> {
    return (await listarLog(this.arm)).commits.size > 0;
  }

  private async paraEscrita(): Promise<Instantaneo> {
    const inst = await this.instantaneo();
    exigirEscrita(inst.protocol, inst.metadata, this.url);
    return inst;
  }

  private exigirNaoSomenteAcrescimo(inst: Instantaneo, operacao: string): void {
    if (inst.metadata.configuration["delta.appendOnly"] === "true") {
      throw new ErroLake(`A tabela ${this.url} é somente-acréscimo (delta.appendOnly=true): ${operacao} não é permitido.`);
    }
  }

  private async commit(tx: Omit<Transacao, "intervaloCheckpoint">): Promise<ResultadoCommit> {
    const r = await commitar(this.arm, { ...tx, intervaloCheckpoint: this.opcoes.intervaloCheckpoint });
    this.cache = undefined;
    return r;
  }

  private async gravar(inst: { esquema: StructType; metadata: Metadata }, tabela: arrow.Table, dataChange = true): Promise<ArquivosGravados> {
    const conf = inst.metadata.configuration;
    return gravarArquivos(this.arm, inst.esquema, inst.metadata.partitionColumns, tabela, {
      compressao: compressaoDaTabela(conf),
      dataChange,
      colunasIndexadas: Number(conf["delta.dataSkippingNumIndexedCols"] ?? 32),
    });
  }

  /** Removes uploaded files of a transaction that will not be committed. */
  private async descartar(adds: Add[]): Promise<void> {
    await this.arm.remover(adds.map((a) => caminhoDecodificado(a.path))).catch(() => undefined);
  }

  private async commitOuDescartar(tx: Omit<Transacao, "intervaloCheckpoint">, novos: Add[]): Promise<ResultadoCommit> {
    try {
      return await this.commit(tx);
    } catch (err) {
      await this.descartar(novos);
      throw err;
    }
  }

  // -------------------------------------------------------------------------------------------
  // create / append / overwrite

  async criar(opcoes: OpcoesCriacao): Promise<ResultadoEscrita> {
    const particoes = opcoes.particionarPor ?? [];
    let esquema: StructType;
    if (opcoes.esquema && "type" in opcoes.esquema && opcoes.esquema.type === "struct" && Array.isArray((opcoes.esquema as StructType).fields)) {
      esquema = lerEsquema(JSON.stringify(opcoes.esquema));
    } else if (opcoes.esquema) esquema = esquemaDeSimples(opcoes.esquema as EsquemaSimples);
    else if (opcoes.dados instanceof arrow.Table) {
      esquema = {
        type: "struct",
        fields: opcoes.dados.schema.fields.map((f) => ({ name: f.name, type: tipoDelta(f.type, f.name), nullable: f.nullable, metadata: {} })),
      };
    } else {
      throw new ErroLake("Para criar a tabela, informe o esquema (esquema: { coluna: 'tipo' }) ou dados como arrow.Table.");
    }
    validarEsquema(esquema, particoes);
    const listagem = await listarLog(this.arm);
    if (listagem.commits.size > 0 || listagem.checkpoints.size > 0) {
      if (opcoes.seExistir === "ignorar") {
        const inst = await this.instantaneo();
        return { versao: inst.versao, tentativas: 0, arquivosAdicionados: 0, arquivosRemovidos: 0, linhasEscritas: 0, bytesEscritos: 0 };
      }
      throw new ErroLake(`Já existe uma tabela Delta em ${this.url}. Use anexar()/sobrescrever(), ou seExistir: "ignorar".`);
    }
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
    const tabela = opcoes.dados ? conformar(opcoes.dados, esquema) : undefined;
    const gravados = tabela ? await this.gravar({ esquema, metadata }, tabela) : { adds: [], linhas: 0, bytes: 0 };
    const acoes: Action[] = [{ protocol: PROTOCOLO_PADRAO }, { metaData: metadata }, ...gravados.adds.map((add) => ({ add }))];
    const r = await this.commitOuDescartar(
      {
        leitura: undefined,
        acoes,
        operacao: "CREATE TABLE",
        parametros: { partitionBy: particoes, description: opcoes.descricao ?? null, properties: metadata.configuration, isManaged: "false" },
        metricas: { numFiles: gravados.adds.length, numOutputRows: gravados.linhas, numOutputBytes: gravados.bytes },
        acrescimoCego: true,
      },
      gravados.adds,
    );
    return { versao: r.versao, tentativas: r.tentativas, arquivosAdicionados: gravados.adds.length, arquivosRemovidos: 0, linhasEscritas: gravados.linhas, bytesEscritos: gravados.bytes };
  }

  /** Adds rows (a blind append: never conflicts with other appends). */
  async anexar(dados: Dados): Promise<ResultadoEscrita> {
    const inst = await this.paraEscrita();
    const tabela = conformar(dados, inst.esquema);
    const g = await this.gravar(inst, tabela);
    const r = await this.commitOuDescartar(
      {
        leitura: inst,
        acoes: g.adds.map((add) => ({ add })),
        operacao: "WRITE",
        parametros: { mode: "Append", partitionBy: inst.metadata.partitionColumns },
        metricas: { numFiles: g.adds.length, numOutputRows: g.linhas, numOutputBytes: g.bytes },
        acrescimoCego: true,
      },
      g.adds,
    );
    return { versao: r.versao, tentativas: r.tentativas, arquivosAdicionados: g.adds.length, arquivosRemovidos: 0, linhasEscritas: g.linhas, bytesEscritos: g.bytes };
  }

  /**
   * Replaces the table's rows with `dados`; with `substituirOnde`, only the rows matching those
   * conditions (Delta's replaceWhere), and every new row must match them too.
   */
  async sobrescrever(dados: Dados, opcoes: { substituirOnde?: Condicao[] } = {}): Promise<ResultadoEscrita> {
    const inst = await this.paraEscrita();
    this.exigirNaoSomenteAcrescimo(inst, "sobrescrever");
    const tabela = conformar(dados, inst.esquema);
    const parts = inst.metadata.partitionColumns;
    const onde = opcoes.substituirOnde;
    if (onde) {
      const ok = avaliador(onde, tabela, inst.esquema, parts);
      for (let i = 0; i < tabela.numRows; i++) {
        if (!ok(i)) {
          const linha = leitorDeLinhas(tabela, inst.esquema)(i);
          throw new ErroLake(
            `A linha ${i} dos dados não satisfaz substituirOnde (${textoDoPredicado(onde)}): ${mostrarLinha(linha)}. ` +
              "Com substituirOnde, todos os dados novos precisam estar dentro do trecho substituído.",
          );
        }
      }
    }
    const agora = Date.now();
    const reescrita = onde ? await this.reescrever(inst, onde, "excluir") : undefined;
    const removidos = reescrita ? reescrita.removidos : [...inst.arquivos.values()];
    const g = await this.gravar(inst, tabela);
    const novos = [...(reescrita?.adicionados ?? []), ...g.adds];
    const conds = onde ? compilar(onde, inst.esquema, parts) : undefined;
    const r = await this.commitOuDescartar(
      {
        leitura: inst,
        acoes: [...removidos.map((a) => ({ remove: removerDe(a, agora) })), ...novos.map((add) => ({ add }))],
        operacao: "WRITE",
        parametros: { mode: "Overwrite", partitionBy: parts, ...(onde ? { predicate: textoDoPredicado(onde) } : {}) },
        metricas: { numFiles: novos.length, numRemovedFiles: removidos.length, numOutputRows: g.linhas + (reescrita?.linhasMantidas ?? 0), numOutputBytes: g.bytes },
        acrescimoCego: false,
        leuArquivo: conds ? (add) => podeConter(add, conds, inst.esquema) : undefined,
        arquivosLidos: new Set(removidos.map((a) => caminhoDecodificado(a.path))),
      },
      novos,
    );
    return { versao: r.versao, tentativas: r.tentativas, arquivosAdicionados: novos.length, arquivosRemovidos: removidos.length, linhasEscritas: g.linhas, bytesEscritos: g.bytes, linhasAfetadas: reescrita?.linhasAfetadas };
  }

  /**
   * Rewrites the files holding rows that match `onde`: "excluir" drops them, a function
   * transforms the file's table given the matching row mask. Files entirely inside a partition
   * predicate are dropped without being read.
   */
  private async reescrever(
    inst: Instantaneo,
    onde: Predicado,
    acao: "excluir" | ((t: arrow.Table, casa: Uint8Array) => arrow.Table),
  ): Promise<{ removidos: Add[]; adicionados: Add[]; linhasAfetadas: number; linhasMantidas: number; lidos: Add[] }> {
    const parts = inst.metadata.partitionColumns;
    const candidatos = arquivosCandidatos(inst, onde);
    const conds = typeof onde === "function" ? undefined : compilar(onde, inst.esquema, parts);
    const removidos: Add[] = [];
    const adicionados: Add[] = [];
    let linhasAfetadas = 0;
    let linhasMantidas = 0;
    const todas = inst.esquema.fields.map((f) => f.name);
    try {
      await emParalelo(candidatos, 4, async (add) => {
        if (acao === "excluir" && conds && contemTudo(add, conds, inst.esquema)) {
          removidos.push(add);
          const s = add.stats ? (JSON.parse(add.stats) as { numRecords?: number }) : {};
          linhasAfetadas += s.numRecords ?? 0;
          return;
        }
        const t = await lerArquivo(this.arm, inst, add, todas);
        const ok = avaliador(onde, t, inst.esquema, parts);
        const casa = new Uint8Array(t.numRows);
        let n = 0;
        for (let i = 0; i < t.numRows; i++) if (ok(i)) (casa[i] = 1), n++;
        if (n === 0) return;
        linhasAfetadas += n;
        removidos.push(add);
        let saida: arrow.Table;
        if (acao === "excluir") {
          const manter: number[] = [];
          for (let i = 0; i < t.numRows; i++) if (!casa[i]) manter.push(i);
          saida = filtrarTabela(t, inst.esquema, manter);
        } else saida = acao(t, casa);
        linhasMantidas += acao === "excluir" ? saida.numRows : 0;
        if (saida.numRows > 0) adicionados.push(...(await this.gravar(inst, saida)).adds);
      });
    } catch (err) {
      await this.descartar(adicionados);
      throw err;
    }
    return { removidos, adicionados, linhasAfetadas, linhasMantidas, lidos: candidatos };
  }

  // -------------------------------------------------------------------------------------------
  // delete / update / merge

  /** Deletes the rows matching `onde` (conditions or a row function). */
  async excluir(onde: Predicado): Promise<ResultadoEscrita> {
    const inst = await this.paraEscrita();
    this.exigirNaoSomenteAcrescimo(inst, "excluir");
    if (typeof onde !== "function") compilar(onde, inst.esquema, inst.metadata.partitionColumns);
    const rw = await this.reescrever(inst, onde, "excluir");
    return this.commitReescrita(inst, rw, "DELETE", { predicate: typeof onde === "function" ? "função" : textoDoPredicado(onde) }, onde, {
      numDeletedRows: rw.linhasAfetadas,
    });
  }

  private async commitReescrita(
    inst: Instantaneo,
    rw: { removidos: Add[]; adicionados: Add[]; linhasAfetadas: number; lidos: Add[] },
    operacao: string,
    parametros: Record<string, unknown>,
    onde: Predicado,
    metricas: Record<string, number>,
  ): Promise<ResultadoEscrita> {
    if (rw.removidos.length === 0 && rw.adicionados.length === 0) {
      return { versao: inst.versao, tentativas: 0, arquivosAdicionados: 0, arquivosRemovidos: 0, linhasEscritas: 0, bytesEscritos: 0, linhasAfetadas: 0 };
    }
    const agora = Date.now();
    const conds = typeof onde === "function" ? undefined : compilar(onde, inst.esquema, inst.metadata.partitionColumns);
    const r = await this.commitOuDescartar(
      {
        leitura: inst,
        acoes: [...rw.removidos.map((a) => ({ remove: removerDe(a, agora) })), ...rw.adicionados.map((add) => ({ add }))],
        operacao,
        parametros,
        metricas: { numRemovedFiles: rw.removidos.length, numAddedFiles: rw.adicionados.length, ...metricas },
        acrescimoCego: false,
        leuArquivo: conds ? (add) => podeConter(add, conds, inst.esquema) : undefined,
        arquivosLidos: new Set(rw.lidos.map((a) => caminhoDecodificado(a.path))),
      },
      rw.adicionados,
    );
    const bytes = rw.adicionados.reduce((s, a) => s + a.size, 0);
    const linhas = rw.adicionados.reduce((s, a) => s + ((a.stats && (JSON.parse(a.stats) as { numRecords: number }).numRecords) || 0), 0);
    return { versao: r.versao, tentativas: r.tentativas, arquivosAdicionados: rw.adicionados.length, arquivosRemovidos: rw.removidos.length, linhasEscritas: linhas, bytesEscritos: bytes, linhasAfetadas: rw.linhasAfetadas };
  }

  /** Sets columns on the rows matching `onde`: definir: { coluna: valor | (linha) => valor }. */
  async atualizar(opcoes: { onde: Predicado; definir: Record<string, ValorOuFuncao> }): Promise<ResultadoEscrita> {
    const inst = await this.paraEscrita();
    this.exigirNaoSomenteAcrescimo(inst, "atualizar");
    const { onde, definir } = opcoes;
    if (typeof onde !== "function") compilar(onde, inst.esquema, inst.metadata.partitionColumns);
    if (!definir || typeof definir !== "object" || Object.keys(definir).length === 0) {
      throw new ErroLake("atualizar() precisa de definir: { coluna: valor } com pelo menos uma coluna.");
    }
    const novos: Record<string, { tipo: DataType; f?: (l: Linha) => unknown; k?: Chave | null }> = {};
    for (const [col, v] of Object.entries(definir)) {
      const f = campo(inst.esquema, col);
      if (typeof v === "function") novos[col] = { tipo: f.type, f: v as (l: Linha) => unknown };
      else if (v === null || v === undefined) {
        if (!f.nullable) throw new ErroLake(`A coluna '${col}' não aceita nulos (nullable: false).`);
        novos[col] = { tipo: f.type, k: null };
      } else novos[col] = { tipo: f.type, k: paraChave(f.type, v, `definir.${col}`) };
    }
    const transformar = (t: arrow.Table, casa: Uint8Array): arrow.Table => {
      const linhas = leitorDeLinhas(t, inst.esquema);
      const vetores: Record<string, arrow.Vector> = {};
      for (const f of inst.esquema.fields) {
        const vec = t.getChild(f.name)!;
        const novo = novos[f.name];
        if (!novo) {
          vetores[f.name] = vec;
          continue;
        }
        const ler = leitor(vec);
        vetores[f.name] = construir(f.type, t.numRows, (i) => {
          if (!casa[i]) return ler(i);
          if (!novo.f) return novo.k!;
          const v = novo.f(linhas(i));
          if (v === null || v === undefined) {
            if (!f.nullable) throw new ErroLake(`definir.${f.name} devolveu nulo, mas a coluna não aceita nulos.`);
            return null;
          }
          return paraChave(f.type, v, `definir.${f.name} (linha ${i})`);
        });
      }
      return new arrow.Table(vetores);
    };
    const rw = await this.reescrever(inst, onde, transformar);
    return this.commitReescrita(
      inst,
      rw,
      "UPDATE",
      { predicate: typeof onde === "function" ? "função" : textoDoPredicado(onde), set: Object.keys(definir) },
      onde,
      { numUpdatedRows: rw.linhasAfetadas },
    );
  }

  /**
   * Upsert by key (Delta's MERGE): source rows whose key exists in the table update it (or
   * delete it), the others are inserted. Duplicate keys in the source are an error.
   */
  async mesclar(
    dados: Dados,
    opcoes: { chaves: string[]; quandoCorresponder?: "atualizar" | "excluir" | "ignorar"; quandoNaoCorresponder?: "inserir" | "ignorar" },
  ): Promise<ResultadoMesclagem> {
    const inst = await this.paraEscrita();
    const corresponde = opcoes.quandoCorresponder ?? "atualizar";
    const naoCorresponde = opcoes.quandoNaoCorresponder ?? "inserir";
    if (!["atualizar", "excluir", "ignorar"].includes(corresponde)) {
      throw new ErroLake(`quandoCorresponder inválido: '${corresponde}'. Esperado "atualizar", "excluir" ou "ignorar".`);
    }
    if (!["inserir", "ignorar"].includes(naoCorresponde)) {
      throw new ErroLake(`quandoNaoCorresponder inválido: '${naoCorresponde}'. Esperado "inserir" ou "ignorar".`);
    }
    if (corresponde !== "ignorar") this.exigirNaoSomenteAcrescimo(inst, "mesclar com atualização/exclusão");
    const chaves = opcoes.chaves;
    if (!Array.isArray(chaves) || chaves.length === 0) throw new ErroLake('mesclar() precisa de chaves: ["coluna", …] que identificam a linha.');
    for (const c of chaves) campo(inst.esquema, c);
    const fonte = conformar(dados, inst.esquema);
    const parts = inst.metadata.partitionColumns;
    // Source rows by key.
    const lerChaves = chaves.map((c) => leitor(fonte.getChild(c)!));
    const chaveDe = (ls: ((i: number) => Chave | null)[], i: number) => ls.map((l) => textoDeChave(l(i))).join("\u0001");
    const porChave = new Map<string, number>();
    for (let i = 0; i < fonte.numRows; i++) {
      const k = chaveDe(lerChaves, i);
      if (lerChaves.some((l) => l(i) === null)) throw new ErroLake(`A linha ${i} dos dados tem chave nula (${chaves.join(", ")}): toda linha precisa de chave.`);
      if (porChave.has(k)) {
        throw new ErroLake(`A chave da linha ${i} aparece mais de uma vez nos dados (${chaves.join(", ")}): cada chave pode casar com uma linha só.`);
      }
      porChave.set(k, i);
    }
    // Prune target files with the source's keys: the exact values when few, else their range
    // (new ids of a growing table then touch only the newest files, not the whole table).
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
    const compiladas = compilar(conds, inst.esquema, parts);
    const candidatos = [...inst.arquivos.values()].filter((a) => podeConter(a, compiladas, inst.esquema));
    const casadas = new Set<number>();
    const removidos: Add[] = [];
    const pedacos: arrow.Table[] = [];
    let atualizadas = 0;
    let excluidas = 0;
    const todas = inst.esquema.fields.map((f) => f.name);
    await emParalelo(candidatos, 4, async (add) => {
      const t = await lerArquivo(this.arm, inst, add, todas);
      const ls = chaves.map((c) => leitor(t.getChild(c)!));
      const manter: number[] = [];
      const daFonte: number[] = [];
      for (let i = 0; i < t.numRows; i++) {
        const j = porChave.get(chaveDe(ls, i));
        if (j === undefined) {
          manter.push(i);
          continue;
        }
        casadas.add(j);
        if (corresponde === "ignorar") manter.push(i);
        else if (corresponde === "atualizar") daFonte.push(j);
      }
      if (manter.length === t.numRows) return;
      removidos.push(add);
      if (corresponde === "atualizar") atualizadas += daFonte.length;
      else excluidas += t.numRows - manter.length;
      pedacos.push(filtrarTabela(t, inst.esquema, manter));
      if (daFonte.length) pedacos.push(filtrarTabela(fonte, inst.esquema, daFonte));
    });
    const inserir: number[] = [];
    if (naoCorresponde === "inserir") for (let j = 0; j < fonte.numRows; j++) if (!casadas.has(j)) inserir.push(j);
    if (inserir.length) pedacos.push(filtrarTabela(fonte, inst.esquema, inserir));
    const base = { linhasInseridas: inserir.length, linhasAtualizadas: atualizadas, linhasExcluidas: excluidas };
    if (removidos.length === 0 && inserir.length === 0) {
      return { versao: inst.versao, tentativas: 0, arquivosAdicionados: 0, arquivosRemovidos: 0, linhasEscritas: 0, bytesEscritos: 0, linhasAfetadas: 0, ...base };
    }
    const schema = esquemaArrow(inst.esquema);
    const g = await this.gravar(inst, juntarTabelas(pedacos.map((p) => new arrow.Table(schema, p.batches.map((b) => new arrow.RecordBatch(schema, b.data)))), schema));
    const agora = Date.now();
    const r = await this.commitOuDescartar(
      {
        leitura: inst,
        acoes: [...removidos.map((a) => ({ remove: removerDe(a, agora) })), ...g.adds.map((add) => ({ add }))],
        operacao: "MERGE",
        parametros: {
          predicate: chaves.map((c) => `t.${c} = s.${c}`).join(" AND "),
          matchedPredicates: [{ actionType: corresponde === "atualizar" ? "update" : corresponde === "excluir" ? "delete" : "none" }],
          notMatchedPredicates: [{ actionType: naoCorresponde === "inserir" ? "insert" : "none" }],
        },
        metricas: {
          numSourceRows: fonte.numRows,
          numTargetRowsInserted: inserir.length,
          numTargetRowsUpdated: atualizadas,
          numTargetRowsDeleted: excluidas,
          numTargetFilesRemoved: removidos.length,
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
      arquivosRemovidos: removidos.length,
      linhasEscritas: g.linhas,
      bytesEscritos: g.bytes,
      linhasAfetadas: inserir.length + atualizadas + excluidas,
      ...base,
    };
  }

  // -------------------------------------------------------------------------------------------
  // optimize / vacuum / history / restore

  /** Compacts small files (under tamanhoAlvo bytes, default 64 MiB) within each partition. */
  async otimizar(opcoes: { onde?: Condicao[]; tamanhoAlvo?: number } = {}): Promise<ResultadoEscrita & { particoesCompactadas: number }> {
    const inst = await this.paraEscrita();
    const alvo = opcoes.tamanhoAlvo ?? 64 * 1024 * 1024;
    const candidatos = arquivosCandidatos(inst, opcoes.onde).filter((a) => a.size < alvo);
    if (opcoes.onde) {
      for (const c of compilar(opcoes.onde, inst.esquema, inst.metadata.partitionColumns)) {
        if (!c.particao) throw new ErroLake(`otimizar() aceita só condições sobre colunas de partição; '${c.coluna}' não é uma.`);
      }
    }
    const grupos = new Map<string, Add[]>();
    for (const a of candidatos) {
      const k = JSON.stringify(inst.metadata.partitionColumns.map((p) => a.partitionValues[p] ?? null));
      grupos.set(k, [...(grupos.get(k) ?? []), a]);
    }
    const removidos: Add[] = [];
    const adicionados: Add[] = [];
    let particoes = 0;
    const todas = inst.esquema.fields.map((f) => f.name);
    const schema = esquemaArrow(inst.esquema);
    try {
      for (const arquivos of grupos.values()) {
        if (arquivos.length < 2) continue;
        particoes++;
        const tabelas = await emParalelo(arquivos, 4, (a) => lerArquivo(this.arm, inst, a, todas));
        adicionados.push(...(await this.gravar(inst, juntarTabelas(tabelas, schema), false)).adds);
        removidos.push(...arquivos);
      }
    } catch (err) {
      await this.descartar(adicionados);
      throw err;
    }
    if (removidos.length === 0) {
      return { versao: inst.versao, tentativas: 0, arquivosAdicionados: 0, arquivosRemovidos: 0, linhasEscritas: 0, bytesEscritos: 0, particoesCompactadas: 0 };
    }
    const agora = Date.now();
    const r = await this.commitOuDescartar(
      {
        leitura: inst,
        acoes: [...removidos.map((a) => ({ remove: { ...removerDe(a, agora), dataChange: false } })), ...adicionados.map((add) => ({ add }))],
        operacao: "OPTIMIZE",
        parametros: { predicate: JSON.stringify(opcoes.onde ?? []), zOrderBy: [] },
        metricas: { numRemovedFiles: removidos.length, numAddedFiles: adicionados.length },
        acrescimoCego: false,
        // Compaction only rearranges rows: new appends elsewhere never conflict with it.
        leuArquivo: () => false,
        arquivosLidos: new Set(removidos.map((a) => caminhoDecodificado(a.path))),
      },
      adicionados,
    );
    const bytes = adicionados.reduce((s, a) => s + a.size, 0);
    return { versao: r.versao, tentativas: r.tentativas, arquivosAdicionados: adicionados.length, arquivosRemovidos: removidos.length, linhasEscritas: 0, bytesEscritos: bytes, particoesCompactadas: particoes };
  }

  /**
   * Deletes data files no longer referenced by the table and older than the retention period
   * (default delta.deletedFileRetentionDuration or 7 days). Retention under 7 days needs
   * verificarRetencao: false. `agora` lets a test pretend time has passed.
   */
  async vacuum(opcoes: { retencaoHoras?: number; simulacao?: boolean; verificarRetencao?: boolean; agora?: Date } = {}): Promise<ResultadoVacuum> {
    const inst = await this.paraEscrita();
    const padrao = duracaoMs(inst.metadata.configuration["delta.deletedFileRetentionDuration"], RETENCAO_PADRAO_MS);
    const retencao = opcoes.retencaoHoras === undefined ? padrao : opcoes.retencaoHoras * 3_600_000;
    if (!(retencao >= 0)) throw new ErroLake(`retencaoHoras inválido: ${String(opcoes.retencaoHoras)}. Esperado um número de horas ≥ 0.`);
    if (retencao < padrao && opcoes.verificarRetencao !== false) {
      throw new ErroLake(
        `Retenção de ${retencao / 3_600_000} h é menor que a da tabela (${padrao / 3_600_000} h): leitores ainda podem precisar desses arquivos ` +
          "(viagem no tempo, consultas em andamento). Se tem certeza, passe verificarRetencao: false.",
      );
    }
    const agora = (opcoes.agora ?? new Date()).getTime();
    const limite = agora - retencao;
    const vivos = new Set([...inst.arquivos.keys()]);
    for (const [k, r] of inst.tombstones) if ((r.deletionTimestamp ?? 0) >= limite) vivos.add(k);
    const objetos = await this.arm.listar("");
    const apagar = objetos.filter((o) => {
      if (o.chave.split("/").some((seg) => seg.startsWith("_") || seg.startsWith("."))) return false;
      return !vivos.has(o.chave) && o.modificado.getTime() < limite;
    });
    if (!opcoes.simulacao) await this.arm.remover(apagar.map((o) => o.chave));
    return { simulacao: !!opcoes.simulacao, arquivos: apagar.map((o) => o.chave), bytes: apagar.reduce((s, o) => s + o.tamanho, 0) };
  }

  /** Commits, newest first (DESCRIBE HISTORY). */
  async historico(limite?: number): Promise<EntradaHistorico[]> {
    const listagem = await listarLog(this.arm);
    if (listagem.commits.size === 0) throw new ErroLake(`Não existe tabela Delta em ${this.url}.`);
    const versoes = [...listagem.commits.keys()].sort((a, b) => b - a).slice(0, limite ?? Infinity);
    const acoes = await emParalelo(versoes, 8, (v) => lerCommit(this.arm, v));
    return versoes.map((v, k) => {
      const info = acoes[k]?.find((a): a is { commitInfo: NonNullable<Extract<Action, { commitInfo: unknown }>["commitInfo"]> } => "commitInfo" in a)?.commitInfo;
      return {
        versao: v,
        timestamp: new Date(listagem.tempos.get(v)!),
        operacao: info?.operation ?? "DESCONHECIDA",
        parametros: info?.operationParameters ?? {},
        metricas: info?.operationMetrics ?? {},
        ...(info?.engineInfo ? { motor: info.engineInfo } : {}),
        ...(info?.readVersion !== undefined ? { versaoLida: info.readVersion } : {}),
      };
    });
  }

  /** Makes the table's content that of an earlier version (a new commit; history is kept). */
  async restaurar(alvo: AlvoLeitura): Promise<ResultadoEscrita> {
    if (alvo.versao === undefined && alvo.timestamp === undefined) throw new ErroLake("restaurar() precisa de { versao } ou { timestamp }.");
    const atual = await this.paraEscrita();
    this.exigirNaoSomenteAcrescimo(atual, "restaurar");
    const antigo = await this.instantaneo(alvo);
    const adicionar = [...antigo.arquivos].filter(([k]) => !atual.arquivos.has(k)).map(([, a]) => a);
    const remover = [...atual.arquivos].filter(([k]) => !antigo.arquivos.has(k)).map(([, a]) => a);
    const existentes = new Set((await this.arm.listar("")).map((o) => o.chave));
    const sumidos = adicionar.filter((a) => !existentes.has(caminhoDecodificado(a.path)));
    if (sumidos.length) {
      throw new ErroLake(
        `Não dá para restaurar a versão ${antigo.versao}: ${sumidos.length} arquivo(s) dela já foram apagados pelo vacuum ` +
          `(por exemplo ${sumidos[0]!.path}). A tabela não mudou.`,
      );
    }
    const agora = Date.now();
    const acoes: Action[] = [];
    if (antigo.metadata.schemaString !== atual.metadata.schemaString || JSON.stringify(antigo.metadata.partitionColumns) !== JSON.stringify(atual.metadata.partitionColumns)) {
      acoes.push({ metaData: antigo.metadata });
    }
    acoes.push(...remover.map((a) => ({ remove: removerDe(a, agora) })));
    acoes.push(...adicionar.map((a) => ({ add: { ...a, dataChange: true, modificationTime: a.modificationTime } })));
    const r = await this.commit({
      leitura: atual,
      acoes,
      operacao: "RESTORE",
      parametros: { version: antigo.versao, timestamp: alvo.timestamp !== undefined ? new Date(antigo.timestamp).toISOString() : null },
      metricas: { numRestoredFiles: adicionar.length, numRemovedFiles: remover.length },
      acrescimoCego: false,
    });
    return { versao: r.versao, tentativas: r.tentativas, arquivosAdicionados: adicionar.length, arquivosRemovidos: remover.length, linhasEscritas: 0, bytesEscritos: 0 };
  }

  /** Writes a checkpoint of the latest version now (also done every N commits). */
  async checkpoint(): Promise<number> {
    const inst = await this.instantaneo();
    await gravarCheckpoint(this.arm, inst);
    return inst.versao;
  }

  // -------------------------------------------------------------------------------------------
  // reading

  async ler(opcoes: OpcoesLeitura = {}): Promise<ResultadoLeitura> {
    const inst = await this.instantaneo({ versao: opcoes.versao, timestamp: opcoes.timestamp });
    return lerTabela(this.arm, inst, opcoes);
  }

  /** Rows as plain objects (long → bigint, decimal → string, date/timestamp → Date). */
  async linhas(opcoes: OpcoesLeitura = {}): Promise<Linha[]> {
    const { tabela } = await this.ler(opcoes);
    const inst = await this.instantaneo({ versao: opcoes.versao, timestamp: opcoes.timestamp });
    const colunas = opcoes.colunas ?? inst.esquema.fields.map((f) => f.name);
    const esquema: StructType = { type: "struct", fields: colunas.map((c) => campo(inst.esquema, c)) };
    const linha = leitorDeLinhas(tabela, esquema);
    return Array.from({ length: tabela.numRows }, (_, i) => linha(i));
  }

  /** Row count from the log's stats when every file has them, else by reading. */
  async contar(opcoes: { versao?: number } = {}): Promise<number> {
    const inst = await this.instantaneo(opcoes);
    let total = 0;
    for (const a of inst.arquivos.values()) {
      const n = a.stats ? (JSON.parse(a.stats) as { numRecords?: number }).numRecords : undefined;
      if (n === undefined) return (await lerTabela(this.arm, inst, { colunas: [inst.esquema.fields[0]!.name] })).tabela.numRows;
      total += n;
    }
    return total;
  }

  /** Where the log lives, for students opening commit files. */
  get pastaDoLog(): string {
    return `${this.url}/${PASTA_LOG}/`;
  }
}

/** A key converted back to an input value paraChave accepts. */
function valorBruto(tipo: DataType, k: Chave): unknown {
  if (tipo === "date") return new Date((k as number) * 86_400_000).toISOString().slice(0, 10);
  if (tipo === "timestamp") return textoDeMicros(k as bigint);
  if (typeof tipo === "string" && tipo.startsWith("decimal")) return `${k}e-${/,(\d+)\)/.exec(tipo)![1]}`;
  return k;
}

/** The predicate as the commit records it (JSON; bigint values as numbers' text). */
function textoDoPredicado(onde: Condicao[]): string {
  return JSON.stringify(onde, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
}

function mostrarLinha(l: Linha): string {
  return JSON.stringify(l, (_k, v: unknown) => (typeof v === "bigint" ? `${v}` : v));
}

export function tabelaDelta(local: LocalTabela | Armazenamento, opcoes?: OpcoesTabela): TabelaDelta {
  return new TabelaDelta(local, opcoes);
}
