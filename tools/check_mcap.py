#!/usr/bin/env python3
"""Reads a roadsight log with the reference Python MCAP reader (PyPI `mcap`) and prints, as
JSON: the profile, the metadata and attachment names, and per channel its schema, encodings
and message count. Used by tests/record_python.rs to check that other tools read our logs."""
import json
import sys

from mcap.reader import make_reader


def main(path):
    with open(path, "rb") as f:
        reader = make_reader(f)
        header = reader.get_header()
        channels = {}
        for schema, channel, message in reader.iter_messages():
            c = channels.setdefault(
                channel.topic,
                {
                    "schema_name": schema.name if schema else None,
                    "schema_encoding": schema.encoding if schema else None,
                    "message_encoding": channel.message_encoding,
                    "metadata": dict(channel.metadata),
                    # A JSON schema must itself be a JSON object.
                    "schema_is_json_object": bool(schema)
                    and schema.encoding == "jsonschema"
                    and isinstance(json.loads(schema.data), dict),
                    "count": 0,
                    "json_ok": 0,
                },
            )
            c["count"] += 1
            if channel.message_encoding == "json":
                json.loads(message.data)
                c["json_ok"] += 1
        metadata = {m.name: dict(m.metadata) for m in reader.iter_metadata()}
        attachments = [a.name for a in reader.iter_attachments()]
    json.dump(
        {
            "profile": header.profile,
            "metadata": metadata,
            "attachments": attachments,
            "channels": channels,
        },
        sys.stdout,
    )


if __name__ == "__main__":
    main(sys.argv[1])
