"""The support cases of the demo tickets, from the world of the seeds: what the customer writes
and how the team answers (no "gerundismo", no promised deadlines, always "Ficou alguma dúvida?")."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Story:
    """One kind of support case: what the customer writes and how the team answers."""

    cases: tuple[tuple[str, str], ...]  # (subject, first message)
    type: str
    tags: tuple[str, ...]
    reply: str  # first agent answer
    solution: str  # resolution notice
    queue: str | None = None  # None: routed by the customer's account (N1 / Prime / Special)
    priorities: tuple[str, ...] = ("normal",)
    question: str = "Pode me enviar um print da tela com a mensagem, por favor?"
    forward: str = ""  # internal note when waiting on another department
    weight: int = 3
    for_delinquent: bool = False
    non_customer: bool = False
    field_desk: str = ""  # "included": only plans with Field Desk; "paid": only plans without
    key_accounts_only: bool = False


STORIES: tuple[Story, ...] = (
    Story(
        cases=(
            (
                "Erro na emissão de NF-e: rejeição 539 (duplicidade de NF-e)",
                "Bom dia! Ao transmitir a NF-e {nota} o sistema retorna 'Rejeição 539: "
                "Duplicidade de NF-e com diferença na chave de acesso'. O cliente está "
                "aguardando a nota na loja {loja}.",
            ),
            (
                "NF-e {nota} rejeitada pela SEFAZ",
                "Olá, desde cedo as notas da loja {loja} voltam rejeitadas pela SEFAZ, a última "
                "foi a {nota}. Já reiniciei o computador e nada. Preciso faturar um pedido "
                "grande hoje.",
            ),
        ),
        type="incident",
        tags=("nfe", "sefaz"),
        priorities=("high", "high", "urgent"),
        reply="Olá, {contato}! Vamos resolver isso juntos. Verifiquei a chave da NF-e {nota} e "
        "a numeração já tinha sido usada em uma nota emitida em contingência.",
        question="Pode me informar o número da última nota autorizada que aparece no "
        "relatório de notas emitidas?",
        solution="Ajustei a numeração da série e a NF-e {nota} foi autorizada. Ficou alguma "
        "dúvida?",
        weight=6,
    ),
    Story(
        cases=(
            (
                "PDV travado na tela de finalização de venda",
                "O PDV {pdv} da loja {loja} trava quando clico em finalizar venda. Tenho fila "
                "no caixa, preciso de ajuda urgente!",
            ),
            (
                "Caixa {pdv} não abre após a atualização",
                "Depois da atualização de ontem o caixa {pdv} não abre mais, fica parado na "
                "tela de carregamento.",
            ),
        ),
        type="incident",
        tags=("pdv",),
        priorities=("urgent", "high"),
        reply="Oi, {contato}. Entendo a urgência com o caixa parado. Acessei a máquina "
        "remotamente e identifiquei o serviço de sincronização parado.",
        question="O caixa {pdv} está ligado na rede agora? Preciso acessar remotamente.",
        solution="Reiniciei o serviço de sincronização e o PDV {pdv} voltou a finalizar as "
        "vendas normalmente. Ficou alguma dúvida?",
        weight=6,
    ),
    Story(
        cases=(
            (
                "NFC-e em contingência: erro de comunicação com a SEFAZ",
                "Todos os cupons da loja {loja} estão saindo em contingência desde as 10h. A "
                "internet está funcionando.",
            ),
            (
                "Cupons fiscais saindo em contingência offline",
                "Os cupons fiscais estão saindo em contingência offline em todos os caixas. "
                "Isso vai dar problema com o fisco?",
            ),
        ),
        type="incident",
        tags=("nfce", "sefaz", "contingencia"),
        priorities=("high",),
        reply="Olá, {contato}! A SEFAZ do seu estado está com instabilidade, confirmei no "
        "portal de status. As notas em contingência serão transmitidas automaticamente.",
        solution="A SEFAZ normalizou e todas as NFC-e em contingência foram transmitidas e "
        "autorizadas. Ficou alguma dúvida?",
        weight=3,
    ),
    Story(
        cases=(
            (
                "Certificado digital A1 vencido: como instalar o novo?",
                "Renovamos o certificado digital A1 da empresa. Vocês podem instalar? O arquivo "
                ".pfx está na área de trabalho do computador do escritório.",
            ),
            (
                "Instalação do novo certificado digital",
                "O certificado digital vence na sexta-feira e já compramos o novo. Quando "
                "vocês podem fazer a instalação?",
            ),
        ),
        type="request",
        tags=("certificado-digital", "agendamento"),
        priorities=("normal", "low"),
        reply="Olá, {contato}! Como a instalação não para a operação, podemos agendar para "
        "amanhã às 9h. Fica bom para você?",
        question="Pode me confirmar a senha do certificado e um horário para o acesso remoto?",
        solution="Instalei o certificado A1 e fiz uma emissão de teste, autorizada. O novo "
        "certificado vence em um ano. Ficou alguma dúvida?",
        weight=3,
    ),
    Story(
        cases=(
            (
                "Segunda via do boleto da mensalidade",
                "Preciso da segunda via do boleto, o banco não reconhece o código de barras.",
            ),
            (
                "Boleto da mensalidade não chegou por e-mail",
                "Não recebi o boleto deste mês. Podem me enviar por e-mail?",
            ),
        ),
        type="question",
        tags=("boleto", "financeiro"),
        queue="Financeiro",
        priorities=("normal", "low"),
        reply="Olá, {contato}! O boleto não é enviado por e-mail: ele fica disponível no "
        "sistema, no menu Financeiro > Minhas faturas, e também é possível pagar via PIX. "
        "Enviei o vídeo que mostra o passo a passo.",
        question="Conseguiu emitir o boleto pelo sistema?",
        solution="Confirmo que o pagamento foi identificado. Salve o contato do Financeiro "
        "para receber os lembretes antes do vencimento. Ficou alguma dúvida?",
        weight=4,
        for_delinquent=True,
    ),
    Story(
        cases=(
            (
                "Sistema bloqueado por pendência financeira",
                "Apareceu a mensagem de sistema bloqueado e os caixas pararam. Já paguei o "
                "boleto ontem!",
            ),
            (
                "Sistema bloqueou e não consigo vender",
                "O sistema bloqueou hoje de manhã e a loja {loja} está parada. Como faço para "
                "liberar?",
            ),
        ),
        type="request",
        tags=("bloqueio", "financeiro", "inadimplente"),
        queue="Financeiro",
        priorities=("urgent",),
        reply="Olá, {contato}. Verifiquei aqui: há uma fatura em aberto e o bloqueio ocorre no "
        "sétimo dia após o vencimento. Pagando via PIX a liberação é automática.",
        question="Pode me enviar o comprovante em PDF, com a autenticação mecânica?",
        forward="Cliente inadimplente com sistema fora do ar: encaminhado ao Financeiro antes "
        "do suporte técnico, conforme o manual.",
        solution="Pagamento compensado e sistema desbloqueado. Os caixas já estão operando. "
        "Ficou alguma dúvida?",
        weight=2,
        for_delinquent=True,
    ),
    Story(
        cases=(
            (
                "Solicitação de cancelamento do sistema",
                "Gostaria de cancelar o sistema. Vamos fechar a loja {loja} no fim do mês.",
            ),
            (
                "Quero cancelar o contrato",
                "Estamos insatisfeitos com a lentidão do sistema e queremos cancelar.",
            ),
        ),
        type="cancellation",
        tags=("cancelamento", "retencao"),
        queue="Clientes",
        priorities=("normal",),
        reply="Olá, {contato}. Sinto muito por isso. Gostaria de entender melhor o que "
        "aconteceu para buscarmos uma alternativa juntos. Podemos conversar por telefone?",
        question="Qual o melhor horário para conversarmos por telefone?",
        forward="Tentativa de retenção feita no suporte; cliente mantém o pedido. Encaminhado "
        "ao setor Clientes.",
        solution="Conforme combinado por telefone, registramos o cancelamento ao fim do "
        "contrato e enviamos o termo por e-mail. Ficou alguma dúvida?",
        weight=2,
    ),
    Story(
        cases=(
            (
                "Integração com iFood não importa pedidos",
                "Desde ontem os pedidos do iFood não aparecem no sistema. Estou digitando tudo "
                "à mão.",
            ),
            (
                "Pedidos do marketplace não chegam no sistema",
                "A integração com o marketplace parou de baixar os pedidos da loja {loja}.",
            ),
        ),
        type="incident",
        tags=("integracao",),
        priorities=("high", "normal"),
        reply="Oi, {contato}! O token da integração expirou. Preciso que você autorize "
        "novamente o acesso no portal do parceiro.",
        question="Consegue acessar o portal do parceiro agora para renovarmos a autorização?",
        forward="Pedidos duplicados na fila da integração: aberto chamado para o time de "
        "Desenvolvimento.",
        solution="Renovamos a autorização e os pedidos pendentes foram importados. Ficou alguma "
        "dúvida?",
        weight=3,
    ),
    Story(
        cases=(
            (
                "TEF não conecta com o pinpad",
                "O TEF do caixa {pdv} não conecta com o pinpad. Estamos usando a maquininha "
                "avulsa.",
            ),
            (
                "Pagamento com cartão não passa no PDV",
                "No caixa {pdv} o pagamento com cartão dá erro de comunicação com o TEF.",
            ),
        ),
        type="incident",
        tags=("tef", "pdv"),
        priorities=("high",),
        reply="Olá, {contato}. Vamos verificar juntos: o pinpad está ligado na porta USB do "
        "próprio caixa?",
        question="Pode me informar o modelo do pinpad e a mensagem que aparece na tela?",
        solution="Reinstalei o driver do pinpad e o TEF voltou a funcionar. Ficou alguma dúvida?",
        weight=3,
    ),
    Story(
        cases=(
            (
                "PIX não confirma automaticamente no PDV",
                "O cliente paga no PIX mas o caixa {pdv} não confirma, temos que conferir no "
                "aplicativo do banco.",
            ),
        ),
        type="incident",
        tags=("pix", "pdv"),
        priorities=("normal", "high"),
        reply="Oi, {contato}! A chave PIX cadastrada no sistema está diferente da conta que "
        "recebe os pagamentos.",
        question="Qual é a chave PIX correta da empresa?",
        solution="Atualizei a chave PIX e fizemos um pagamento de teste, confirmado no PDV. "
        "Ficou alguma dúvida?",
        weight=2,
    ),
    Story(
        cases=(
            (
                "Geração do arquivo SPED Fiscal",
                "Meu contador pediu o SPED Fiscal do mês passado. Como gero o arquivo?",
            ),
            (
                "Arquivo SPED com erro no validador",
                "O validador do SPED acusa erro no registro C170 do arquivo deste mês.",
            ),
        ),
        type="question",
        tags=("sped", "fiscal"),
        priorities=("normal",),
        reply="Olá, {contato}! Gerei o arquivo e disponibilizei no menu Fiscal > Arquivos. "
        "Enviei também a playlist com o passo a passo.",
        solution="Arquivo SPED gerado e validado sem erros. Registramos uma ação preventiva "
        "no cadastro dos produtos. Ficou alguma dúvida?",
        weight=2,
    ),
    Story(
        cases=(
            (
                "XML das notas para o contador",
                "O contador precisa dos XML de todas as notas do mês. Como envio?",
            ),
            (
                "Envio automático dos XML ao contador",
                "Dá para o sistema mandar os XML direto para o escritório de contabilidade?",
            ),
        ),
        type="question",
        tags=("xml", "contador"),
        priorities=("low", "normal"),
        reply="Oi, {contato}! O sistema envia os XML automaticamente por e-mail e pelo Portal "
        "Contábil. Configurei o envio mensal para o e-mail do seu contador.",
        solution="Envio automático configurado e teste enviado ao contador. Ficou alguma dúvida?",
        weight=2,
    ),
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

THANKS = (
    "Obrigado, funcionou!",
    "Perfeito, muito obrigada!",
    "Resolvido, obrigado pela ajuda.",
    "Tudo certo por aqui. Obrigado!",
)
ANSWERS = (
    "Segue o print da tela.",
    "Pronto, pode acessar.",
    "Pode sim, estou na loja agora.",
    "Enviei as informações por e-mail.",
)
CHANNEL_WEIGHTS = {
    "chat": 34,
    "whatsapp": 20,
    "email": 16,
    "phone": 12,
    "portal": 8,
    "telegram": 4,
    "teams": 3,
    "api": 3,
}
