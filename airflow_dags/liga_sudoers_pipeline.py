"""Liga Sudoers pipeline: a bounded streaming burst, dbt build on the DW, its quality gate, then the lakehouse.

Every task runs one of the kit's npm scripts from the repository root, so the DAG does exactly
what the student runs by hand. Only what ships with apache-airflow is used (the standard
provider's BashOperator).
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

from airflow.providers.standard.operators.bash import BashOperator
from airflow.sdk import DAG

# The kit's root: LIGA_SUDOERS_HOME when set (the compose service mounts the repository at
# /workspace and the DAGs folder elsewhere; the native kit sets it too), else the folder above
# this file's airflow_dags/.
REPO_ROOT = Path(os.environ.get("LIGA_SUDOERS_HOME") or Path(__file__).resolve().parent.parent)

DOC = """
### Pipeline da Liga Sudoers

Um *burst* de streaming limitado grava pedidos novos no OLTP, o `dbt build` leva tudo para o DW,
o portão de qualidade confere o resultado e o `lake build` atualiza as camadas raw → trusted →
refined do lakehouse no MinIO (com o seu próprio portão antes do refined). Cada tarefa roda um script npm do kit na raiz do
repositório — o mesmo comando que você roda no terminal.

Sem agendamento: dispare pela UI (botão *Trigger*) ou com `airflow dags test liga_sudoers_pipeline`.
"""

with DAG(
    dag_id="liga_sudoers_pipeline",
    description="Streaming limitado → dbt build → portão de qualidade → lakehouse",
    schedule=None,
    catchup=False,
    doc_md=DOC,
    tags=["liga-sudoers"],
    default_args={"retries": 0},
) as dag:
    # The task environment inherits the worker's (PATH with node/npm, the kit's endpoints):
    # no env= here, which would replace it.
    burst_streaming = BashOperator(
        task_id="burst_streaming",
        bash_command="npm run streaming -- --ticks 3 --intervalo 1s --pedidos-por-tick 50",
        cwd=str(REPO_ROOT),
        execution_timeout=timedelta(minutes=10),
        doc_md="""
#### Burst de streaming

`npm run streaming -- --ticks 3 --intervalo 1s --pedidos-por-tick 50`: três *ticks*, um por segundo, de 50 pedidos; em cada um entram
pessoas novas e pedidos com data de agora no OLTP, com fraude injetada (5% por padrão). Limitado
de propósito, para a execução terminar: o streaming contínuo você roda no terminal.
""",
    )

    dbt_build = BashOperator(
        task_id="dbt_build",
        bash_command="npm run dbt -- build",
        cwd=str(REPO_ROOT),
        execution_timeout=timedelta(minutes=30),
        doc_md="""
#### dbt build

`npm run dbt -- build`: roda os modelos, *snapshots* e testes do projeto `dbt_project/` contra o
DW, com a configuração do kit. Um teste do dbt que falha derruba a tarefa — e o portão de
qualidade nem chega a rodar.
""",
    )

    portao_qualidade = BashOperator(
        task_id="portao_qualidade",
        bash_command="npm run qualidade",
        cwd=str(REPO_ROOT),
        execution_timeout=timedelta(minutes=10),
        doc_md="""
#### Portão de qualidade

`npm run qualidade`: o DW concilia com o OLTP (nada se perdeu nem duplicou no caminho) e a taxa
de fraude está dentro do esperado. Se alguma verificação falha, o comando sai com erro e a
execução do DAG termina em falha.
""",
    )

    lake_build = BashOperator(
        task_id="lake_build",
        bash_command="npm run lake -- build",
        cwd=str(REPO_ROOT),
        execution_timeout=timedelta(minutes=60),
        doc_md="""
#### Lakehouse

`npm run lake -- build`: traz os eventos CDC novos do Kafka e as extrações do DW para o raw,
promove o que ainda não foi promovido para o trusted (MERGE, quarentena, pseudonimização) e,
se o portão de qualidade trusted → refined aprovar, atualiza o refined. Incremental: só o que
chegou desde a última execução. Se o portão reprova, a tarefa falha com o relatório no log e o
refined fica como estava.
""",
    )

    burst_streaming >> dbt_build >> portao_qualidade >> lake_build
