// node-opcua's own OPC UA server as a test peer. Prints "READY <port>" once listening; SIGTERM shuts it down.
// Usage: node opcua_node_server.mjs --port 4840 --pki DIR --instance 1 [--user name:password]  (anonymous is always allowed)
import { parseArgs } from 'node:util';
import path from 'node:path';
import { DataType, MessageSecurityMode, OPCUACertificateManager, OPCUAServer, SecurityPolicy, StatusCodes, VariantArrayType } from 'node-opcua';

const { values: args } = parseArgs({ options: { port: { type: 'string' }, pki: { type: 'string' }, instance: { type: 'string', default: '1' }, user: { type: 'string' } } });
const [userName, password] = args.user ? args.user.split(':') : [];

const server = new OPCUAServer({
  port: Number(args.port),
  hostname: '127.0.0.1',
  resourcePath: '/ucid',
  serverCertificateManager: new OPCUACertificateManager({ rootFolder: path.join(args.pki, 'server'), automaticallyAcceptUnknownCertificate: true }),
  securityModes: [MessageSecurityMode.None, MessageSecurityMode.SignAndEncrypt],
  securityPolicies: [SecurityPolicy.None, SecurityPolicy.Basic256Sha256],
  allowAnonymous: true,
  userManager: { isValidUser: (u, p) => u === userName && p === password },
});
await server.initialize();

const addressSpace = server.engine.addressSpace;
const ns = addressSpace.getOwnNamespace();
const plant = ns.addObject({ organizedBy: addressSpace.rootFolder.objects, browseName: 'Plant' });
const variable = (name, dataType, value) => ns.addVariable({ componentOf: plant, nodeId: `s=${name}`, browseName: name, dataType, value: { dataType: DataType[dataType], arrayType: VariantArrayType.Scalar, value } });

variable('Temperature', 'Double', 21.5);
variable('Instance', 'UInt32', Number(args.instance));
variable('Big', 'Int64', [0xfffffffe, 0xd5fa0e00]); // -5 000 000 000 as [high, low]
variable('Flag', 'Boolean', true);
variable('Label', 'String', 'not a number');
variable('Uncertain', 'Double', 0).setValueFromSource({ dataType: DataType.Double, value: 7.5 }, StatusCodes.UncertainLastUsableValue);
variable('Bad', 'Double', 0).setValueFromSource({ dataType: DataType.Double, value: 3 }, StatusCodes.BadSensorFailure);
const counter = variable('Counter', 'Int32', 0);
let n = 0;
setInterval(() => counter.setValueFromSource({ dataType: DataType.Int32, value: ++n }), 100).unref();

await server.start();
console.log(`READY ${server.endpoints[0].port}`);

process.on('SIGTERM', async () => {
  await server.shutdown(0);
  process.exit(0);
});
