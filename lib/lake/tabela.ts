// TabelaDelta, the front a student uses: `tabelaDelta("s3://raw/vendas")` names a table, and each
// method runs one operation from ./operacoes (create, append, overwrite, delete, update, merge,
// optimize, vacuum, history, restore) or reads the table at any version. It keeps the latest
// snapshot cached, so a sequence of operations replays only the commits it has not seen.
import { type Armazenamento, ArmazenamentoS3, type LocalTabela, interpretarLocal } from "./armazenamento";
import { gravarCheckpoint } from "./checkpoint";
import { type Condicao, type Linha, type Predicado, leitorDeLinhas } from "./condicoes";
import type { Dados } from "./conformar";
import { type AlvoLeitura, type Instantaneo, carregarInstantaneo } from "./instantaneo";
import { type OpcoesLeitura, type ResultadoLeitura, lerTabela } from "./leitura";
import { PASTA_LOG, listarLog } from "./log";
import * as op from "./operacoes/index";
import { type StructType, ErroLake } from "./protocolo";
import { campo } from "./tipos";

export interface OpcoesTabela {
  /** Checkpoint every N commits (default: delta.checkpointInterval or 10; 0 = never). */
  intervaloCheckpoint?: number;
}

/** A Delta table on MinIO (or any Armazenamento). Create one with `tabelaDelta("s3://raw/vendas")`. */
export class TabelaDelta {
  readonly arm: Armazenamento;
  private cache?: Instantaneo;
  /** What the operations see of this table; `instantaneo` goes through the method (and its cache). */
  private readonly ctx: op.Contexto;

  constructor(local: LocalTabela | Armazenamento, opcoes: OpcoesTabela = {}) {
    if (typeof local === "object" && "gravarSeAusente" in local) this.arm = local;
    else {
      const { bucket, caminho } = interpretarLocal(local);
      this.arm = new ArmazenamentoS3(bucket, caminho);
    }
    this.ctx = {
      arm: this.arm,
      intervaloCheckpoint: opcoes.intervaloCheckpoint,
      instantaneo: (alvo) => this.instantaneo(alvo),
      esquecer: () => {
        this.cache = undefined;
      },
    };
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

  // -------------------------------------------------------------------------------------------
  // writing: one operation, one commit

  criar(opcoes: op.OpcoesCriacao): Promise<op.ResultadoEscrita> {
    return op.criar(this.ctx, opcoes);
  }

  /** Adds rows (a blind append: never conflicts with other appends). */
  anexar(dados: Dados): Promise<op.ResultadoEscrita> {
    return op.anexar(this.ctx, dados);
  }

  /**
   * Replaces the table's rows with `dados`; with `substituirOnde`, only the rows matching those
   * conditions (Delta's replaceWhere), and every new row must match them too.
   */
  sobrescrever(dados: Dados, opcoes: { substituirOnde?: Condicao[] } = {}): Promise<op.ResultadoEscrita> {
    return op.sobrescrever(this.ctx, dados, opcoes);
  }

  /** Deletes the rows matching `onde` (conditions or a row function). */
  excluir(onde: Predicado): Promise<op.ResultadoEscrita> {
    return op.excluir(this.ctx, onde);
  }

  /** Sets columns on the rows matching `onde`: definir: { coluna: valor | (linha) => valor }. */
  atualizar(opcoes: { onde: Predicado; definir: Record<string, op.ValorOuFuncao> }): Promise<op.ResultadoEscrita> {
    return op.atualizar(this.ctx, opcoes);
  }

  /**
   * Upsert by key (Delta's MERGE): source rows whose key exists in the table update it (or
   * delete it), the others are inserted. Duplicate keys in the source are an error.
   */
  mesclar(dados: Dados, opcoes: op.OpcoesMesclagem): Promise<op.ResultadoMesclagem> {
    return op.mesclar(this.ctx, dados, opcoes);
  }

  /** Compacts small files (under tamanhoAlvo bytes, default 64 MiB) within each partition. */
  otimizar(opcoes: op.OpcoesOtimizacao = {}): Promise<op.ResultadoEscrita & { particoesCompactadas: number }> {
    return op.otimizar(this.ctx, opcoes);
  }

  /**
   * Deletes data files no longer referenced by the table and older than the retention period
   * (default delta.deletedFileRetentionDuration or 7 days). Retention under 7 days needs
   * verificarRetencao: false. `agora` lets a test pretend time has passed.
   */
  vacuum(opcoes: op.OpcoesVacuum = {}): Promise<op.ResultadoVacuum> {
    return op.vacuum(this.ctx, opcoes);
  }

  /** Commits, newest first (DESCRIBE HISTORY). */
  historico(limite?: number): Promise<op.EntradaHistorico[]> {
    return op.historico(this.ctx, limite);
  }

  /** Makes the table's content that of an earlier version (a new commit; history is kept). */
  restaurar(alvo: AlvoLeitura): Promise<op.ResultadoEscrita> {
    return op.restaurar(this.ctx, alvo);
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
      const n = op.linhasDoArquivo(a);
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

export function tabelaDelta(local: LocalTabela | Armazenamento, opcoes?: OpcoesTabela): TabelaDelta {
  return new TabelaDelta(local, opcoes);
}
