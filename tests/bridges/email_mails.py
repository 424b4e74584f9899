"""Raw mails as the common clients and mail servers send them, for the email bridge's tests.

Each is the bytes an SMTP server receives (CRLF line ends, encoded headers, quoted-printable and
base64 bodies as the client chose them). The support address is ``support@demo.example``; our
own Message-IDs look like ``<c.42.m.7.sig@demo.example>``.
"""

from __future__ import annotations


def raw(text: str) -> bytes:
    """A mail written with \\n line ends as it travels: CRLF, UTF-8 where a client sends 8bit."""
    return text.lstrip("\n").replace("\r\n", "\n").replace("\n", "\r\n").encode("utf-8")


OUR_ID = "c.42.m.7.sig@demo.example"  # a Message-ID of ours the customers below answer

# Outlook (German, desktop) answering our mail above its quote, with its "Von:/Gesendet:" block,
# a signature, both alternatives, Thread-Index, and our body marker inside the quoted text.
OUTLOOK_DE = raw(f"""
Received: from mail.weber-logistik.de (mail.weber-logistik.de [192.0.2.10])
\tby mx.demo.example (Postfix) with ESMTPS id 4Z1;
\tWed, 05 Mar 2025 09:03:11 +0100 (CET)
From: =?utf-8?Q?J=C3=BCrgen_Weber?= <J.Weber@Weber-Logistik.de>
To: Demo GmbH Kundenservice <support+Tk9xAbC.1@demo.example>
CC: Buchhaltung <buchhaltung@weber-logistik.de>
Subject: =?utf-8?Q?AW:_Rechnung_4711_im_M=C3=A4rz?=
Thread-Topic: Rechnung 4711 im =?utf-8?Q?M=C3=A4rz?=
Thread-Index: AQHbjPZ1m2bVY3hZRkS8zTQm0b9RzA==
Date: Wed, 5 Mar 2025 08:03:09 +0000
Message-ID: <AM0PR07MB4305B2D1E0A54C8F6E1A9B1CA3CB2@AM0PR07MB4305.eurprd07.prod.outlook.com>
References: <{OUR_ID}>
In-Reply-To: <{OUR_ID}>
Accept-Language: de-DE, en-US
Content-Language: de-DE
X-MS-Has-Attach:
X-MS-TNEF-Correlator:
Content-Type: multipart/alternative;
\tboundary="_000_AM0PR07MB4305B2D1E0A54C8F6E1A9B1CA3CB2AM0PR07MB4305eurp_"
MIME-Version: 1.0

--_000_AM0PR07MB4305B2D1E0A54C8F6E1A9B1CA3CB2AM0PR07MB4305eurp_
Content-Type: text/plain; charset="utf-8"
Content-Transfer-Encoding: quoted-printable

Hallo zusammen,

die Rechnung 4711 wurde im M=C3=A4rz doppelt abgebucht. K=C3=B6nnen Sie das =
bitte pr=C3=BCfen?

Mit freundlichen Gr=C3=BC=C3=9Fen
J=C3=BCrgen Weber
Weber Logistik GmbH | Hauptstr. 5 | 10115 Berlin
Tel. +49 30 1234567

Von: Demo GmbH Kundenservice <support+Tk9xAbC.1@demo.example>
Gesendet: Dienstag, 4. M=C3=A4rz 2025 10:12
An: J=C3=BCrgen Weber <j.weber@weber-logistik.de>
Betreff: AW: Rechnung 4711 im M=C3=A4rz

Guten Tag Herr Weber,

wir haben Ihre Anfrage erhalten und melden uns.

[ref:Tk9xAbC.1]

--_000_AM0PR07MB4305B2D1E0A54C8F6E1A9B1CA3CB2AM0PR07MB4305eurp_
Content-Type: text/html; charset="utf-8"
Content-Transfer-Encoding: quoted-printable

<html><head><meta http-equiv=3D"Content-Type" content=3D"text/html; charset=
=3Dutf-8"><style>p.MsoNormal{{margin:0cm;font-size:11.0pt}}</style></head>=
<body lang=3D"DE"><div class=3D"WordSection1"><p class=3D"MsoNormal">Hallo=
 zusammen,</p><p class=3D"MsoNormal">die Rechnung 4711 wurde im M=C3=A4rz =
doppelt abgebucht. K=C3=B6nnen Sie das bitte pr=C3=BCfen?</p><p class=3D"M=
soNormal">Mit freundlichen Gr=C3=BC=C3=9Fen<br>J=C3=BCrgen Weber</p><div i=
d=3D"mail-editor-reference-message-container"><div style=3D"border:none;bo=
rder-top:solid #B5C4DF 1.0pt;padding:3.0pt 0cm 0cm 0cm"><p class=3D"MsoNor=
mal"><b>Von:</b> Demo GmbH Kundenservice &lt;support+Tk9xAbC.1@demo.exampl=
e&gt;<br><b>Gesendet:</b> Dienstag, 4. M=C3=A4rz 2025 10:12<br><b>An:</b> =
J=C3=BCrgen Weber &lt;j.weber@weber-logistik.de&gt;<br><b>Betreff:</b> AW:=
 Rechnung 4711 im M=C3=A4rz</p></div><p class=3D"MsoNormal">Guten Tag Herr=
 Weber,</p><p class=3D"MsoNormal">wir haben Ihre Anfrage erhalten und melde=
n uns.</p><p style=3D"color:#9a9a9a;font-size:11px">[ref:Tk9xAbC.1]</p></di=
v></div></body></html>

--_000_AM0PR07MB4305B2D1E0A54C8F6E1A9B1CA3CB2AM0PR07MB4305eurp_--
""")

# Gmail (German UI): a reply above "Am … schrieb …:" (which Gmail wraps), quote lines with ">".
GMAIL_DE = raw(f"""
MIME-Version: 1.0
References: <{OUR_ID}>
In-Reply-To: <{OUR_ID}>
From: Kim Lee <kim.lee@gmail.com>
Date: Wed, 5 Mar 2025 09:14:52 +0100
Message-ID: <CAJ8x3Kb7vE+q2sXQq1w7pZ1u9bN=0dYF2m@mail.gmail.com>
Subject: Re: Router startet nicht
To: Demo GmbH Kundenservice <support+Zq81.x@demo.example>
Content-Type: multipart/alternative; boundary="000000000000a1b2c3d4e5f60718"

--000000000000a1b2c3d4e5f60718
Content-Type: text/plain; charset="UTF-8"
Content-Transfer-Encoding: quoted-printable

Danke, nach dem Neustart geht es wieder!

Viele Gr=C3=BC=C3=9Fe
Kim

Am Di., 4. M=C3=A4rz 2025 um 10:12 Uhr schrieb Demo GmbH Kundenservice <
support+Zq81.x@demo.example>:

> Guten Tag,
>
> bitte starten Sie den Router neu.
>

--000000000000a1b2c3d4e5f60718
Content-Type: text/html; charset="UTF-8"
Content-Transfer-Encoding: quoted-printable

<div dir=3D"ltr">Danke, nach dem Neustart geht es wieder!<div><br></div><d=
iv>Viele Gr=C3=BC=C3=9Fe</div><div>Kim</div></div><br><div class=3D"gmail_q=
uote"><div dir=3D"ltr" class=3D"gmail_attr">Am Di., 4. M=C3=A4rz 2025 um 10=
:12=C2=A0Uhr schrieb Demo GmbH Kundenservice &lt;<a href=3D"mailto:support+=
Zq81.x@demo.example">support+Zq81.x@demo.example</a>&gt;:<br></div><blockq=
uote class=3D"gmail_quote" style=3D"margin:0px 0px 0px 0.8ex;border-left:1p=
x solid rgb(204,204,204);padding-left:1ex">Guten Tag,<br><br>bitte starten =
Sie den Router neu.<br></blockquote></div>

--000000000000a1b2c3d4e5f60718--
""")

# Apple Mail on an iPhone (English): "Sent from my iPhone", then the quote introduced inside it.
APPLE_EN = raw("""
Content-Type: text/plain; charset=us-ascii
Content-Transfer-Encoding: 7bit
From: Sam Porter <sam.porter@icloud.com>
Mime-Version: 1.0 (1.0)
Date: Wed, 5 Mar 2025 10:41:07 +0000
Subject: Re: Your order 1182
Message-Id: <6A0C7F2E-9D1B-4C55-8E0B-1F2A3B4C5D6E@icloud.com>
References: <c.9.m.2.sig@demo.example>
In-Reply-To: <c.9.m.2.sig@demo.example>
To: Demo Support <support@demo.example>
X-Mailer: iPhone Mail (22D63)

The parcel arrived but the charger is missing.

Sent from my iPhone

> On 4 Mar 2025, at 10:12, Demo Support <support@demo.example> wrote:
>
> Your order 1182 has shipped.
""")

# Thunderbird (German UI, format=flowed) answering below and between the quoted lines.
THUNDERBIRD_DE = raw("""
Message-ID: <b3f1c2d4-5e6f-4a7b-8c9d-0e1f2a3b4c5d@posteo.de>
Date: Wed, 5 Mar 2025 11:02:33 +0100
MIME-Version: 1.0
User-Agent: Mozilla Thunderbird
Subject: Re: Termin Techniker
To: support@demo.example
References: <c.7.m.3.sig@demo.example>
In-Reply-To: <c.7.m.3.sig@demo.example>
Content-Language: de-DE
From: Petra Nowak <petra.nowak@posteo.de>
Content-Type: text/plain; charset=UTF-8; format=flowed
Content-Transfer-Encoding: 8bit

Am 04.03.25 um 10:12 schrieb Demo Support:
> Bitte starten Sie den Router neu.
> Danach melden Sie sich.

Erledigt, immer noch kein Signal.

> Haben Sie sonst noch Fragen?

Ja: wann kommt der Techniker?

--\x20
Petra Nowak
""")

# A web client that sends HTML only, answering above a quoted block; with markup that must never
# reach the console (a script, an event handler, a javascript: link).
HTML_ONLY = raw("""
From: "Lena Koch" <lena.koch@web.example>
To: <support@demo.example>
Subject: Re: Lieferung
Date: Wed, 05 Mar 2025 12:00:00 +0100
Message-ID: <web.20250305120000.77@web.example>
In-Reply-To: <c.12.m.4.sig@demo.example>
MIME-Version: 1.0
Content-Type: text/html; charset=utf-8
Content-Transfer-Encoding: 8bit

<html><body><p>Die Lieferung ist <b>nicht</b> angekommen.</p><p>Bitte schicken Sie Ersatz.</p>
<img src="x" onerror="alert(1)"><script>alert('xss')</script><a href="javascript:alert(2)">hier</a>
<p>Viele Grüße<br>Lena Koch</p>
<div>Am 04.03.2025 um 10:12 schrieb Demo Support &lt;support@demo.example&gt;:</div>
<blockquote type="cite"><p>Ihre Lieferung ist unterwegs.</p></blockquote>
</body></html>
""")

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"

# Thunderbird with a PDF (its name RFC 2231-encoded) and a picture: a new mail, no thread.
ATTACHMENT = raw("""
Message-ID: <f00d1e55-0001-4a7b-8c9d-aa11bb22cc33@posteo.de>
Date: Wed, 5 Mar 2025 13:20:00 +0100
MIME-Version: 1.0
User-Agent: Mozilla Thunderbird
Content-Language: de-DE
To: support@demo.example
From: Petra Nowak <petra.nowak@posteo.de>
Subject: Rechnung und Foto
Content-Type: multipart/mixed; boundary="------------mX0a1b2c3d4e5f6g7h8i9j0k"

This is a multi-part message in MIME format.
--------------mX0a1b2c3d4e5f6g7h8i9j0k
Content-Type: text/plain; charset=UTF-8; format=flowed
Content-Transfer-Encoding: 7bit

anbei die Rechnung und ein Foto vom Display.

--------------mX0a1b2c3d4e5f6g7h8i9j0k
Content-Type: application/pdf;
 name*=UTF-8''Rechnung%20M%C3%A4rz.pdf
Content-Disposition: attachment;
 filename*=UTF-8''Rechnung%20M%C3%A4rz.pdf
Content-Transfer-Encoding: base64

JVBERi0xLjQKMSAwIG9iajw8Pj5lbmRvYmoKdHJhaWxlcjw8Pj4KJSVFT0YK

--------------mX0a1b2c3d4e5f6g7h8i9j0k
Content-Type: image/png; name="display.png"
Content-Disposition: inline; filename="display.png"
Content-Transfer-Encoding: base64

iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJ

--------------mX0a1b2c3d4e5f6g7h8i9j0k--
""")

# A mail forwarded as an attachment (message/rfc822) that has a file of its own: one file for us.
FORWARD_ATTACHED = raw("""
From: Petra Nowak <petra.nowak@posteo.de>
To: support@demo.example
Subject: Fwd: Mahnung
Message-ID: <fw.1@posteo.de>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="outer"

--outer
Content-Type: text/plain; charset=utf-8

Diese Mahnung kam heute, obwohl ich bezahlt habe.

--outer
Content-Type: message/rfc822
Content-Disposition: attachment

From: Inkasso <mahnung@inkasso.example>
To: petra.nowak@posteo.de
Subject: Mahnung
Message-ID: <m.9@inkasso.example>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="inner"

--inner
Content-Type: text/plain; charset=utf-8

Bitte zahlen Sie.

--inner
Content-Type: application/pdf; name="mahnung.pdf"
Content-Disposition: attachment; filename="mahnung.pdf"
Content-Transfer-Encoding: base64

JVBERi0xLjQKMSAwIG9iajw8Pj5lbmRvYmoKdHJhaWxlcjw8Pj4KJSVFT0YK

--inner--

--outer--
""")

# A script's mail: no Message-ID, no Date, a bare address.
NO_MESSAGE_ID = raw("""
From: alerts@monitor.example
To: support@demo.example
Subject: Frage zu Vertrag 55
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8

Wann endet mein Vertrag 55?
""")

NO_SENDER = raw("""
To: support@demo.example
Subject: Hallo
Message-ID: <anon.1@nowhere.example>

Wer bin ich?
""")
