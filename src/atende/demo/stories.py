"""The support cases of the demo tickets, from the world of the seeds: what the customer writes
and how the team answers (no "gerundismo", no promised deadlines, always "Ficou alguma dúvida?")."""

from __future__ import annotations

from atende.demo.catalogue import Story
from atende.demo.stories_more import MORE_STORIES

__all__ = ["ANSWERS", "CHANNEL_WEIGHTS", "STORIES", "THANKS", "Story"]


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
    *MORE_STORIES,
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
