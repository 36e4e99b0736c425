// The errors lib/lake raises on purpose, all under the kit's ErroLiga. Each carries as fields
// what a caller needs to decide what happened (kafkajs style: `instanceof`, then the fields),
// and a pt-BR message for the student; nothing should have to read the message text.
import { ErroLiga } from "../erros";

/** Everything lib/lake refuses or rejects raises this, with a pt-BR message for the student. */
export class ErroLake extends ErroLiga {
  override name = "ErroLake";
}

/**
 * Why a commit lost: another writer created the table first, or committed something this
 * transaction cannot be serialized after, or too many writers kept winning the race.
 */
export type MotivoConflito =
  | "tabelaCriada"
  | "metadados"
  | "protocolo"
  | "transacaoDeAplicacao"
  | "arquivoRemovido"
  | "dadosAcrescentados"
  | "tentativasEsgotadas";

export interface DadosConflito {
  motivo: MotivoConflito;
  /** The operation that lost (commitInfo.operation: "DELETE", "MERGE"…). */
  operacao: string;
  /** The version this transaction read (undefined when it was creating the table). */
  versaoLida: number | undefined;
  /** The version this transaction tried to write when it gave up. */
  versaoTentada: number;
  /** The version the other writer committed first (the same number as versaoTentada). */
  versaoVencedora: number;
  /** The winner's commitInfo.operation, when its commit says. */
  operacaoVencedora: string | undefined;
  /** The file behind an arquivoRemovido / dadosAcrescentados conflict (as in the log). */
  arquivo?: string;
}

/** Another writer committed something our transaction cannot be serialized after. Nothing was written. */
export class ErroConflito extends ErroLake {
  override name = "ErroConflito";
  readonly motivo: MotivoConflito;
  readonly operacao: string;
  readonly versaoLida: number | undefined;
  readonly versaoTentada: number;
  readonly versaoVencedora: number;
  readonly operacaoVencedora: string | undefined;
  readonly arquivo: string | undefined;

  constructor(mensagem: string, dados: DadosConflito) {
    super(mensagem);
    this.motivo = dados.motivo;
    this.operacao = dados.operacao;
    this.versaoLida = dados.versaoLida;
    this.versaoTentada = dados.versaoTentada;
    this.versaoVencedora = dados.versaoVencedora;
    this.operacaoVencedora = dados.operacaoVencedora;
    this.arquivo = dados.arquivo;
  }
}

/**
 * The table uses a protocol version or table feature this kit does not implement. `recurso` is
 * the protocol's name for it: a table feature ("deletionVectors"), a version
 * ("minReaderVersion 9"), or the property / column metadata key in use ("delta.enableChangeDataFeed").
 */
export class ErroRecursoNaoSuportado extends ErroLake {
  override name = "ErroRecursoNaoSuportado";
  constructor(
    mensagem: string,
    readonly recurso: string,
  ) {
    super(mensagem);
  }
}
