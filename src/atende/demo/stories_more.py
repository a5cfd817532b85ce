"""The demo's later support cases (Field Desk visits, store chains, training, backups, finance,
accounts and prospects): ``stories.STORIES`` lists them after the first ones, in this order."""

from __future__ import annotations

from atende.demo.catalogue import Story

MORE_STORIES: tuple[Story, ...] = (
    Story(
        cases=(
            (
                "Impressora térmica não imprime o cupom",
                "A impressora do caixa {pdv} parou de imprimir. Já troquei a bobina e desliguei "
                "da tomada.",
            ),
            (
                "Visita técnica: computador do caixa não liga",
                "O computador do caixa {pdv} não liga mais, nem acende a luz. Precisamos de um "
                "técnico.",
            ),
        ),
        type="incident",
        tags=("hardware", "field-desk"),
        queue="Field Desk",
        priorities=("high", "normal"),
        reply="Olá, {contato}. Fizemos as verificações remotas do protocolo de hardware sem "
        "sucesso. Vamos agendar a visita do técnico Field Desk, incluída no seu plano; o prazo "
        "padrão é de 4h a 24h comerciais.",
        question="Qual o melhor horário para o técnico ir até a loja {loja}?",
        solution="O técnico substituiu a peça com defeito e o caixa {pdv} voltou a operar. "
        "Ficou alguma dúvida?",
        weight=3,
        field_desk="included",
    ),
    Story(
        cases=(
            (
                "Rede da loja caiu, PDVs offline",
                "Todos os caixas da loja {loja} estão sem comunicação com o servidor. A "
                "internet funciona no celular.",
            ),
        ),
        type="incident",
        tags=("rede", "field-desk"),
        queue="Field Desk",
        priorities=("urgent",),
        reply="Oi, {contato}. O switch da loja não responde. Estamos enviando um técnico do "
        "Field Desk; enquanto isso os caixas operam em modo offline.",
        solution="O técnico substituiu o switch e os PDVs voltaram a sincronizar. Ficou "
        "alguma dúvida?",
        weight=2,
        field_desk="included",
    ),
    Story(
        cases=(
            (
                "Orçamento de visita técnica",
                "Preciso de um técnico para instalar um computador novo no caixa. Quanto fica "
                "a visita?",
            ),
            (
                "Balança não integra com o PDV",
                "A balança nova não comunica com o caixa {pdv}. Alguém pode vir instalar?",
            ),
        ),
        type="question",
        tags=("field-desk", "orcamento"),
        queue="Field Desk",
        priorities=("low", "normal"),
        reply="Olá, {contato}! O seu plano não inclui o Field Desk, mas a visita tem desconto. "
        "Enviei a tabela por e-mail. Se preferir, pode acionar um técnico da sua confiança.",
        question="Deseja que eu agende a visita conforme a tabela enviada?",
        solution="Visita agendada e realizada conforme o orçamento aprovado. Ficou alguma dúvida?",
        weight=2,
        field_desk="paid",
    ),
    Story(
        cases=(
            (
                "Estoque negativo após transferência entre lojas",
                "Fiz uma transferência da loja {loja} para o depósito e o estoque ficou "
                "negativo no destino.",
            ),
        ),
        type="incident",
        tags=("estoque",),
        priorities=("normal",),
        reply="Olá, {contato}. A transferência foi recebida duas vezes no destino. Vamos "
        "corrigir juntos.",
        solution="Estornei o recebimento duplicado e o estoque ficou correto. Ficou alguma dúvida?",
        weight=2,
    ),
    Story(
        cases=(
            (
                "Tabela de preços não atualizou nas filiais",
                "Alteramos a tabela de preços na matriz ontem e as lojas ainda vendem com o "
                "preço antigo.",
            ),
            (
                "Relatório de vendas por loja com valores divergentes",
                "O relatório consolidado mostra um valor diferente do fechamento de caixa da "
                "loja {loja}.",
            ),
        ),
        type="incident",
        tags=("rede-de-lojas", "relatorio"),
        priorities=("high", "normal"),
        reply="Olá, {contato}! A replicação de dados para as filiais estava pausada desde a "
        "última atualização. Já reativei e acompanho até o fim.",
        question="Pode me indicar duas lojas para conferirmos os valores?",
        forward="Divergência de replicação em várias lojas: aberto chamado para o "
        "Desenvolvimento, acompanhamento pelo Special Service.",
        solution="A replicação foi concluída em todas as lojas e os valores conferem. Ficou "
        "alguma dúvida?",
        weight=3,
    ),
    Story(
        cases=(
            (
                "Não consigo acessar o sistema: senha expirada",
                "Minha senha expirou e o sistema não aceita a nova. Preciso acessar hoje.",
            ),
            (
                "Usuário bloqueado no login",
                "Errei a senha algumas vezes e agora o usuário do caixa {pdv} está bloqueado.",
            ),
        ),
        type="question",
        tags=("acesso",),
        priorities=("normal",),
        reply="Oi, {contato}! Desbloqueei o usuário; no próximo acesso o sistema pede a troca "
        "de senha.",
        solution="Acesso liberado e senha alterada com sucesso. Ficou alguma dúvida?",
        weight=3,
    ),
    Story(
        cases=(
            (
                "Como emitir nota fiscal de devolução?",
                "Um cliente devolveu mercadoria e preciso emitir a nota de devolução referente "
                "à NF-e {nota}.",
            ),
        ),
        type="question",
        tags=("nfe", "fiscal", "devolucao"),
        priorities=("normal",),
        reply="Olá, {contato}! Enviei o vídeo que mostra a emissão da devolução a partir da "
        "NF-e {nota}, com o CFOP correto.",
        solution="Nota de devolução emitida e autorizada. Ficou alguma dúvida?",
        weight=2,
    ),
    Story(
        cases=(
            (
                "Carta de correção (CC-e) rejeitada",
                "Tentei emitir uma carta de correção para a NF-e {nota} e veio rejeitada.",
            ),
        ),
        type="incident",
        tags=("nfe", "fiscal", "cce"),
        priorities=("normal",),
        reply="Olá, {contato}! A carta de correção não pode alterar valores nem o "
        "destinatário; por isso a SEFAZ rejeitou. Vamos ver juntos o que precisa ser corrigido.",
        question="Qual informação da NF-e {nota} precisa ser corrigida?",
        solution="Emitimos a CC-e apenas com o campo permitido e ela foi registrada. Ficou "
        "alguma dúvida?",
        weight=1,
    ),
    Story(
        cases=(
            (
                "Treinamento para novos operadores de caixa",
                "Contratamos dois operadores de caixa. Vocês fazem o treinamento?",
            ),
            (
                "Agendar treinamento do módulo de estoque",
                "A nova gerente precisa aprender a fazer inventário no sistema.",
            ),
        ),
        type="request",
        tags=("treinamento", "agendamento"),
        priorities=("low",),
        reply="Olá, {contato}! Para dar a atenção necessária, vamos agendar o treinamento. "
        "Tenho horário na quinta-feira às 14h.",
        question="Quinta-feira às 14h é um bom horário para a equipe?",
        solution="Treinamento realizado e playlist de vídeos enviada para consulta. Ficou "
        "alguma dúvida?",
        weight=2,
    ),
    Story(
        cases=(
            (
                "Backup do banco de dados não está rodando",
                "O aviso de backup atrasado aparece há três dias no servidor da loja.",
            ),
        ),
        type="incident",
        tags=("backup", "servidor"),
        priorities=("high",),
        reply="Oi, {contato}. O disco de backup está cheio. Limpei os arquivos antigos e "
        "executei o backup manualmente.",
        solution="Backup executado com sucesso e rotina de limpeza configurada. Ficou alguma "
        "dúvida?",
        weight=2,
    ),
    Story(
        cases=(
            (
                "Relatório de comissão dos vendedores personalizado",
                "Precisamos de um relatório de comissão por vendedor e por loja, com metas.",
            ),
        ),
        type="request",
        tags=("customizacao", "relatorio"),
        priorities=("low", "normal"),
        reply="Olá, {contato}! Customizações para clientes chave entram no nosso escopo. "
        "Vamos levantar os requisitos juntos.",
        question="Pode me enviar um modelo do relatório que vocês usam hoje?",
        forward="Requisitos enviados ao time de Programação; aguardando estimativa.",
        solution="Relatório publicado no menu Relatórios > Comissões. Ficou alguma dúvida?",
        weight=1,
        key_accounts_only=True,
    ),
    Story(
        cases=(
            (
                "Dúvida sobre reajuste da mensalidade",
                "A mensalidade veio com valor diferente este mês. Pode me explicar?",
            ),
        ),
        type="question",
        tags=("financeiro", "reajuste"),
        queue="Financeiro",
        priorities=("low",),
        reply="Olá, {contato}! O contrato prevê reajuste anual pelo IPCA. Enviei o "
        "demonstrativo por e-mail.",
        solution="Enviamos o demonstrativo do reajuste e o contrato. Ficou alguma dúvida?",
        weight=1,
    ),
    Story(
        cases=(
            (
                "Alterar e-mail de cobrança",
                "Queremos alterar o e-mail que recebe as notificações de cobrança.",
            ),
        ),
        type="request",
        tags=("financeiro", "cadastro"),
        queue="Financeiro",
        priorities=("low",),
        reply="Olá, {contato}! Posso fazer a alteração. Para sua segurança, preciso que o "
        "pedido venha do e-mail do responsável pelo contrato.",
        question="Qual é o novo e-mail de cobrança?",
        solution="Dados de cobrança atualizados. Ficou alguma dúvida?",
        weight=1,
    ),
    Story(
        cases=(
            (
                "Mudança para o plano Prime",
                "Gostaríamos de saber as condições para mudar para o plano Prime.",
            ),
            (
                "Quero incluir o Field Desk no contrato",
                "Quais planos incluem a visita do técnico? Queremos mudar de plano.",
            ),
        ),
        type="request",
        tags=("upgrade", "plano"),
        queue="Clientes",
        priorities=("low",),
        reply="Olá, {contato}! Que ótimo! Enviei a proposta com os benefícios dos planos "
        "Prime, Plus e Premium, que incluem o Field Desk.",
        question="Posso agendar uma conversa com o seu gerente de contas?",
        solution="Contrato atualizado com o novo plano. Ficou alguma dúvida?",
        weight=1,
    ),
    Story(
        cases=(
            (
                "Quero conhecer o sistema para minha loja",
                "Tenho uma loja de roupas e quero conhecer o sistema. Vocês fazem demonstração?",
            ),
            (
                "Demonstração do sistema",
                "Vou abrir uma cafeteria e procuro um sistema com PDV e NFC-e.",
            ),
        ),
        type="question",
        tags=("nao-cliente", "comercial"),
        queue="Clientes",
        priorities=("low",),
        reply="Olá, {contato}! Obrigado pelo interesse. Registrei seus dados e o time "
        "comercial entrará em contato para agendar a demonstração.",
        question="Qual o melhor telefone e horário para o contato do time comercial?",
        solution="Demonstração realizada pelo time comercial. Ficou alguma dúvida?",
        weight=1,
        non_customer=True,
    ),
)
