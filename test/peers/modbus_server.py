"""A pymodbus server (TCP or RTU over a serial line) for driver tests and benchmarks.

Values come from a JSON file written by the test, encoded here with Python's struct, not the driver's code:
[{"unit": 1, "table": "holding", "address": 0, "type": "float32", "order": "CDAB", "value": 1.5}, ...]
Units not listed in --units do not answer (ignore_missing_devices). Each table holds addresses 0..999;
reading past them draws exception 2 (illegal data address).
stdin: "stats" prints {"requests": {"unit:function": n}} as one line; "reset" zeroes the counts.
stdout: "ready <port>" once listening.
"""
import argparse
import asyncio
import json
import struct
import sys
import threading
from collections import Counter

from pymodbus.datastore import ModbusDeviceContext, ModbusSequentialDataBlock, ModbusServerContext
from pymodbus.server import ModbusSerialServer, ModbusTcpServer

SIZE = 1000
FORMATS = {"int16": ">h", "uint16": ">H", "int32": ">i", "uint32": ">I", "float32": ">f", "float64": ">d"}
requests: Counter = Counter()


def to_registers(value, kind, order):
    raw = struct.pack(FORMATS[kind], value)
    if order in ("BADC", "DCBA"):
        raw = b"".join(raw[i:i + 2][::-1] for i in range(0, len(raw), 2))
    words = [int.from_bytes(raw[i:i + 2], "big") for i in range(0, len(raw), 2)]
    return words[::-1] if order in ("CDAB", "DCBA") else words


def build_context(units, values):
    tables = {u: {t: [0] * SIZE for t in ("holding", "input")} | {t: [False] * SIZE for t in ("coil", "discrete")} for u in units}
    for v in values:
        if v["unit"] not in tables:
            continue
        table = tables[v["unit"]][v["table"]]
        if v["type"] == "bool":
            table[v["address"]] = bool(v["value"])
        else:
            for i, word in enumerate(to_registers(v["value"], v["type"], v.get("order", "ABCD"))):
                table[v["address"] + i] = word
    # ModbusDeviceContext adds 1 to the protocol address, so blocks start at 1 to map address 0 to index 0.
    devices = {u: ModbusDeviceContext(
        hr=ModbusSequentialDataBlock(1, t["holding"]), ir=ModbusSequentialDataBlock(1, t["input"]),
        co=ModbusSequentialDataBlock(1, t["coil"]), di=ModbusSequentialDataBlock(1, t["discrete"]),
    ) for u, t in tables.items()}
    return ModbusServerContext(devices=devices, single=False)


def trace_pdu(sending, pdu):
    if not sending:
        requests[f"{pdu.dev_id}:{pdu.function_code}"] += 1
    return pdu


def make_trace_packet(corrupt_units):
    def trace(sending, data):
        if sending and data and data[0] in corrupt_units:
            return data[:-1] + bytes([data[-1] ^ 0xFF])
        return data
    return trace


def read_commands():
    for line in sys.stdin:
        command = line.strip()
        if command == "stats":
            print(json.dumps({"requests": dict(requests)}), flush=True)
        elif command == "reset":
            requests.clear()
            print(json.dumps({"ok": True}), flush=True)


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--tcp", type=int, help="TCP port on 127.0.0.1 (0: any free port)")
    parser.add_argument("--serial", help="serial device (a socat pty)")
    parser.add_argument("--baud", type=int, default=9600)
    parser.add_argument("--units", default="1")
    parser.add_argument("--values", help="JSON file of values")
    parser.add_argument("--corrupt-crc", default="", help="RTU: units whose responses get a bad CRC")
    args = parser.parse_args()
    units = [int(u) for u in args.units.split(",") if u]
    values = json.load(open(args.values)) if args.values else []
    context = build_context(units, values)
    corrupt = {int(u) for u in args.corrupt_crc.split(",") if u}
    common = dict(ignore_missing_devices=True, trace_pdu=trace_pdu, trace_packet=make_trace_packet(corrupt))
    if args.serial:
        try:
            import serial  # noqa: F401  pymodbus' serial transport needs pyserial
        except ImportError:
            sys.exit("modbus_server.py: pyserial is not installed in this venv (pip install pyserial==3.5)")
        server = ModbusSerialServer(context, port=args.serial, baudrate=args.baud, **common)
    else:
        server = ModbusTcpServer(context, address=("127.0.0.1", args.tcp or 0), **common)
    await server.serve_forever(background=True)
    port = server.transport.sockets[0].getsockname()[1] if not args.serial else 0
    threading.Thread(target=read_commands, daemon=True).start()
    print(f"ready {port}", flush=True)
    await server.serving


if __name__ == "__main__":
    asyncio.run(main())
