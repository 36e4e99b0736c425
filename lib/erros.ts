// The typed errors the kit raises, in the spirit of kafkajs: each is a class carrying the fields
// a caller needs to decide what happened (`instanceof`, then read the fields), and a pt-BR
// message for the student. Nothing in the kit matches an error's message text to decide what
// to do; code that catches an error from a library (pg, kafkajs, minio) translates it here once.
//
// Exit codes of the CLIs (cli/comum.ts `executar`): an `ErroDeUso` or an `ErroServicoFora`
// exits 2 (bad input, or an environment the command cannot use); anything else exits 1.

/** Base of every error the kit raises on purpose. */
export class ErroLiga extends Error {
  override name = "ErroLiga";
  constructor(mensagem: string, opcoes?: { cause?: unknown }) {
    super(mensagem, opcoes);
  }
}

/** Bad input from the student or the command line: what was wrong and what was expected. */
export class ErroDeUso extends ErroLiga {
  override name = "ErroDeUso";
}

/** A service of the platform could not be reached, with the address that was tried. */
export class ErroServicoFora extends ErroLiga {
  override name = "ErroServicoFora";
  constructor(
    readonly servico: string,
    readonly url: string,
    mensagem: string,
    opcoes?: { cause?: unknown },
  ) {
    super(mensagem, opcoes);
  }
}

/** A Kafka Connect connector that the caller expected is not registered. */
export class ErroConectorAusente extends ErroLiga {
  override name = "ErroConectorAusente";
  constructor(
    readonly conector: string,
    readonly url: string,
  ) {
    super(
      `O conector ${conector} não está registrado no Kafka Connect (${url}). Registre-o primeiro (notebook 04, ou registrarConector()).`,
    );
  }
}

/** Exit code convention of the kit's command-line tools. */
export function codigoDeSaida(erro: unknown): 1 | 2 {
  return erro instanceof ErroDeUso || erro instanceof ErroServicoFora ? 2 : 1;
}
