"""Python asyncua's OPC UA server as an independent test peer. Prints "READY <port>" once listening.

Usage: python opcua_server.py --port 4841 --instance 1 [--cache DIR]
"""
import argparse
import asyncio
import logging
import signal
import sys
from pathlib import Path

from asyncua import Server, ua


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--instance", type=int, default=1)
    parser.add_argument("--cache", help="directory for asyncua's shelved standard address space (faster restarts)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)

    server = Server()
    await server.init(Path(args.cache) / "address-space" if args.cache else None)
    server.set_endpoint(f"opc.tcp://127.0.0.1:{args.port}/ucid/")
    server.set_security_policy([ua.SecurityPolicyType.NoSecurity])
    idx = await server.register_namespace("urn:ucid:test:asyncua")
    plant = await server.nodes.objects.add_object(idx, "Plant")

    async def variable(name: str, value, vtype: ua.VariantType):
        node = await plant.add_variable(ua.NodeId(name, idx), name, ua.Variant(value, vtype))
        return node

    await variable("Temperature", 21.5, ua.VariantType.Double)
    await variable("Instance", args.instance, ua.VariantType.UInt32)
    await variable("Big", -5_000_000_000, ua.VariantType.Int64)
    await variable("Flag", True, ua.VariantType.Boolean)
    uncertain = await variable("Uncertain", 0.0, ua.VariantType.Double)
    bad = await variable("Bad", 0.0, ua.VariantType.Double)
    counter = await variable("Counter", 0, ua.VariantType.Int32)

    await uncertain.write_value(ua.DataValue(ua.Variant(7.5, ua.VariantType.Double), StatusCode_=ua.StatusCode(ua.StatusCodes.UncertainLastUsableValue)))
    await bad.write_value(ua.DataValue(ua.Variant(3.0, ua.VariantType.Double), StatusCode_=ua.StatusCode(ua.StatusCodes.BadSensorFailure)))

    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    async with server:
        print(f"READY {args.port}", flush=True)
        n = 0
        while not stop.is_set():
            n += 1
            await counter.write_value(ua.Variant(n, ua.VariantType.Int32))
            try:
                await asyncio.wait_for(stop.wait(), 0.1)
            except asyncio.TimeoutError:
                pass
    sys.exit(0)


if __name__ == "__main__":
    asyncio.run(main())
