"""Raw mails that machines send: an absence notice, a newsletter, a mailer daemon's notice, and
bounces of one of our mails (an RFC 3464 report, and qmail's plain text)."""

from __future__ import annotations

from email_mails import OUR_ID, raw

# An Exchange out-of-office notice (RFC 3834 auto-replied).
OUT_OF_OFFICE = raw(f"""
From: =?utf-8?Q?J=C3=BCrgen_Weber?= <j.weber@weber-logistik.de>
To: Demo GmbH Kundenservice <support+Tk9xAbC.1@demo.example>
Subject: Abwesenheitsnotiz: Rechnung 4711
Date: Wed, 5 Mar 2025 10:12:40 +0000
Message-ID: <e2b7a1f0c3d44e5f9a8b7c6d5e4f3a2b@weber-logistik.de>
In-Reply-To: <{OUR_ID}>
References: <{OUR_ID}>
Auto-Submitted: auto-replied
X-Auto-Response-Suppress: All
X-MS-Exchange-Inbox-Rules-Loop: j.weber@weber-logistik.de
Content-Type: text/plain; charset="utf-8"
Content-Transfer-Encoding: 8bit
MIME-Version: 1.0

Ich bin bis zum 10.03. nicht im Büro und lese meine E-Mails nicht.
In dringenden Fällen wenden Sie sich an buchhaltung@weber-logistik.de.
""")

# A newsletter sent to the support address.
NEWSLETTER = raw("""
From: Shop News <news@shop.example>
To: support@demo.example
Subject: =?utf-8?Q?Fr=C3=BChlingsangebote?=
Date: Wed, 5 Mar 2025 06:00:00 +0000
Message-ID: <nl.2025-03.8811@shop.example>
Precedence: bulk
List-Unsubscribe: <https://shop.example/unsubscribe?u=8811>
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit

Alle Angebote der Woche: 20 % auf Zubehör.
""")

# A mailer daemon's notice that is no bounce (the mailbox is over quota, mail still delivered).
DAEMON_NOTICE = raw("""
From: MAILER-DAEMON@mx.demo.example (Mail Delivery System)
To: support@demo.example
Subject: Warning: mailbox almost full
Date: Wed, 5 Mar 2025 07:00:00 +0000
Message-ID: <20250305070000.AB12C@mx.demo.example>
Auto-Submitted: auto-generated
MIME-Version: 1.0
Content-Type: text/plain; charset=us-ascii

The mailbox support@demo.example has used 92% of its quota.
""")

# Postfix bouncing one of our mails: an RFC 3464 report with the headers of our mail.
DSN_BOUNCE = raw(f"""
Return-Path: <>
From: MAILER-DAEMON@mx.demo.example (Mail Delivery System)
Subject: Undelivered Mail Returned to Sender
To: support@demo.example
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status;
\tboundary="4Z1Kp20x3Bz9G.1741165331/mx.demo.example"
Date: Wed,  5 Mar 2025 09:02:11 +0000 (UTC)
Message-Id: <20250305090211.4Z1Kp20x3Bz9G@mx.demo.example>

This is a MIME-encapsulated message.

--4Z1Kp20x3Bz9G.1741165331/mx.demo.example
Content-Description: Notification
Content-Type: text/plain; charset=us-ascii

This is the mail system at host mx.demo.example.

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients.

<nobody@weber-logistik.de>: host mail.weber-logistik.de[192.0.2.10] said: 550
    5.1.1 <nobody@weber-logistik.de>: Recipient address rejected: User unknown
    in virtual mailbox table (in reply to RCPT TO command)

--4Z1Kp20x3Bz9G.1741165331/mx.demo.example
Content-Description: Delivery report
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.demo.example
X-Postfix-Queue-ID: 4Z1Kp20x3Bz9G
X-Postfix-Sender: rfc822; support@demo.example
Arrival-Date: Wed,  5 Mar 2025 09:02:10 +0000 (UTC)

Final-Recipient: rfc822; nobody@weber-logistik.de
Original-Recipient: rfc822;nobody@weber-logistik.de
Action: failed
Status: 5.1.1
Remote-MTA: dns; mail.weber-logistik.de
Diagnostic-Code: smtp; 550 5.1.1 <nobody@weber-logistik.de>: Recipient address
    rejected: User unknown in virtual mailbox table

--4Z1Kp20x3Bz9G.1741165331/mx.demo.example
Content-Description: Undelivered Message Headers
Content-Type: text/rfc822-headers

From: Demo GmbH Kundenservice <support@demo.example>
To: nobody@weber-logistik.de
Subject: Ihr Chat mit Demo GmbH
Date: Wed, 05 Mar 2025 09:02:09 +0000
Message-ID: <{OUR_ID}>
Auto-Submitted: no

--4Z1Kp20x3Bz9G.1741165331/mx.demo.example--
""")

# qmail's bounce: no report, just text from MAILER-DAEMON (flufl.bounce's detectors read it).
QMAIL_BOUNCE = raw("""
From: MAILER-DAEMON@mail.example.net
To: support@demo.example
Subject: failure notice
Date: 5 Mar 2025 09:30:00 -0000
Message-ID: <20250305093000.12345.qmail@mail.example.net>

Hi. This is the qmail-send program at mail.example.net.
I'm afraid I wasn't able to deliver your message to the following addresses.
This is a permanent error; I've given up. Sorry it didn't work out.

<gone@example.net>:
Sorry, no mailbox here by that name. (#5.1.1)

--- Below this line is a copy of the message.

Return-Path: <support@demo.example>
From: Demo GmbH Kundenservice <support@demo.example>
To: gone@example.net
Subject: Ihr Chat mit Demo GmbH
Message-ID: <c.77.m.1.sig@demo.example>

Guten Tag, hier ist Ihr Verlauf.
""")
