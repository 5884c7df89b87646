"""Takes in a storm's alerts from StormQueue, one part per message (vigil.services.ingest.storm)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.parser.models import SqsRecordModel
from pydantic import Json
from vigil.observability import logger, metrics
from vigil.services.ingest import storm


class StormRecord(SqsRecordModel):
    """A StormQueue record, its body parsed by Powertools' batch processor (a malformed part
    fails alone: retried by the queue, then kept in its dead-letter queue)."""

    body: Json[storm.StormPart]


def _take_in(record: StormRecord) -> None:
    outcomes = storm.take_in(record.body)
    logger.info("storm part taken in", extra={"alerts": len(outcomes)})


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    processor = BatchProcessor(
        event_type=EventType.SQS, model=StormRecord, raise_on_entire_batch_failure=False
    )
    return dict(process_partial_response(event, _take_in, processor, context))
