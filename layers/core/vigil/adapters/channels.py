"""The four ways a page leaves Vigil: SES email, SNS SMS, Slack and generic webhooks."""

from __future__ import annotations

import json
from typing import Any

from vigil.adapters import outbound_http
from vigil.adapters.aws import call
from vigil.config import settings


def send_email(to: list[str], subject: str, html: str, text: str) -> str:
    response = call(
        "ses",
        "send_email",
        Source=settings().sender_email,
        Destination={"ToAddresses": to},
        Message={
            "Subject": {"Data": subject, "Charset": "UTF-8"},
            "Body": {"Html": {"Data": html, "Charset": "UTF-8"}, "Text": {"Data": text, "Charset": "UTF-8"}},
        },
    )
    return str(response["MessageId"])


def send_sms(phone: str, text: str) -> str:
    response = call(
        "sns",
        "publish",
        PhoneNumber=phone,
        Message=text,
        MessageAttributes={"AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"}},
    )
    return str(response["MessageId"])


def post(url: str, body: bytes, headers: dict[str, str], *, channel: str) -> outbound_http.HttpResult:
    return outbound_http.post_json(url, body, headers, channel=channel)


def publish_notification(message: dict[str, Any], channel: str) -> None:
    call(
        "sns",
        "publish",
        TopicArn=settings().notifications_topic_arn,
        Message=json.dumps(message, separators=(",", ":")),
        MessageAttributes={"channel": {"DataType": "String", "StringValue": channel}},
    )


def retry_later(queue_arn: str, receipt_handle: str, seconds: int) -> None:
    """Make a failed message visible again after `seconds` (the backoff), not the queue default."""
    _, _, _, region, account, name = queue_arn.split(":")
    url = f"https://sqs.{region}.amazonaws.com/{account}/{name}"
    call(
        "sqs",
        "change_message_visibility",
        QueueUrl=url,
        ReceiptHandle=receipt_handle,
        VisibilityTimeout=seconds,
    )
