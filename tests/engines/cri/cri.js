#!/usr/bin/env node
// cri.js: a small CRI (k8s.io/cri-api runtime.v1) client for mkrun's engine
// tests, what kubelet or crictl would send to containerd's CRI plugin.
//
// Usage: node cri.js [--endpoint unix:///PATH] [--proto API.proto] CMD ARGS...
//   version                         VersionResponse (JSON)
//   images                          ListImages: the images' tags, one a line
//   runp [--runtime H] POD.json     RunPodSandbox -> the pod sandbox id
//   inspectp POD_ID                 PodSandboxStatus (JSON)
//   pods                            ListPodSandbox (JSON)
//   stopp POD_ID | rmp POD_ID       StopPodSandbox | RemovePodSandbox
//   create POD_ID CTR.json POD.json CreateContainer -> the container id
//   start ID | rm ID                StartContainer | RemoveContainer
//   stop ID [TIMEOUT]               StopContainer (TIMEOUT seconds, default 10)
//   status ID                       ContainerStatus (JSON)
//   ps                              ListContainers (JSON)
//   update ID RESOURCES.json        UpdateContainerResources (linux resources)
//   exec-sync ID TIMEOUT CMD...     ExecSync: prints the command's stdout (and
//                                   its stderr on stderr), exits with its code
//
// POD.json and CTR.json are PodSandboxConfig and ContainerConfig in the
// proto's own field names (snake_case), e.g. {"metadata": {"name": "p"}}.
// Enums may be given by name or number.  Defaults: the endpoint from
// $CRI_ENDPOINT, the proto from $CRI_PROTO (tests/engines/cri/fetch-proto.sh
// writes it).  A failed call prints "cri.js: CMD: MESSAGE" and exits 1 (or
// with the command's code for exec-sync).
'use strict';

const fs = require('fs');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

function die(msg) {
	process.stderr.write(`cri.js: ${msg}\n`);
	process.exit(1);
}

function readJSON(file) {
	try {
		return JSON.parse(fs.readFileSync(file, 'utf8'));
	} catch (e) {
		die(`${file}: ${e.message}`);
	}
}

// Options, then the command.
const argv = process.argv.slice(2);
let endpoint = process.env.CRI_ENDPOINT || '';
let protoFile = process.env.CRI_PROTO || '';
while (argv.length && argv[0].startsWith('--')) {
	const opt = argv.shift();
	if (opt === '--endpoint') endpoint = argv.shift();
	else if (opt === '--proto') protoFile = argv.shift();
	else die(`unknown option ${opt}`);
}
const cmd = argv.shift();
if (!cmd) die('usage: cri.js [--endpoint unix:///PATH] [--proto API.proto] CMD ARGS...');
if (!endpoint) die('no endpoint: --endpoint unix:///PATH or $CRI_ENDPOINT');
if (!protoFile) die('no proto: --proto FILE or $CRI_PROTO');

const def = protoLoader.loadSync(protoFile, {
	keepCase: true, // the proto's names, as in POD.json / CTR.json
	longs: String, // int64 (timestamps, bytes) as decimal strings
	enums: String, // CONTAINER_RUNNING, not 1
	defaults: true, // exit_code 0 is printed, not left out
	oneofs: true,
});
const api = grpc.loadPackageDefinition(def).runtime.v1;
const runtime = new api.RuntimeService(endpoint, grpc.credentials.createInsecure());
const images = new api.ImageService(endpoint, grpc.credentials.createInsecure());

// call SERVICE METHOD REQUEST: the response, or exit 1 with the gRPC error.
function call(service, method, request, timeoutMs = 120000) {
	return new Promise((resolve) => {
		const deadline = new Date(Date.now() + timeoutMs);
		service[method](request, { deadline }, (err, res) => {
			if (err) die(`${cmd}: ${method}: ${err.details || err.message}`);
			resolve(res);
		});
	});
}

function printJSON(obj) {
	process.stdout.write(JSON.stringify(obj, null, 2) + '\n');
}

function need(n, usage) {
	if (argv.length < n) die(`usage: cri.js ${cmd} ${usage}`);
}

const commands = {
	async version() {
		printJSON(await call(runtime, 'Version', { version: 'v1' }));
	},
	async images() {
		const res = await call(images, 'ListImages', {});
		for (const img of res.images) for (const tag of img.repo_tags) console.log(tag);
	},
	async runp() {
		let handler = '';
		if (argv[0] === '--runtime') {
			argv.shift();
			handler = argv.shift();
		}
		need(1, '[--runtime HANDLER] POD.json');
		const res = await call(runtime, 'RunPodSandbox', {
			config: readJSON(argv[0]),
			runtime_handler: handler,
		});
		console.log(res.pod_sandbox_id);
	},
	async inspectp() {
		need(1, 'POD_ID');
		printJSON(await call(runtime, 'PodSandboxStatus', { pod_sandbox_id: argv[0], verbose: true }));
	},
	async pods() {
		printJSON((await call(runtime, 'ListPodSandbox', {})).items);
	},
	async stopp() {
		need(1, 'POD_ID');
		await call(runtime, 'StopPodSandbox', { pod_sandbox_id: argv[0] });
	},
	async rmp() {
		need(1, 'POD_ID');
		await call(runtime, 'RemovePodSandbox', { pod_sandbox_id: argv[0] });
	},
	async create() {
		need(3, 'POD_ID CTR.json POD.json');
		const res = await call(runtime, 'CreateContainer', {
			pod_sandbox_id: argv[0],
			config: readJSON(argv[1]),
			sandbox_config: readJSON(argv[2]),
		});
		console.log(res.container_id);
	},
	async start() {
		need(1, 'ID');
		await call(runtime, 'StartContainer', { container_id: argv[0] });
	},
	async stop() {
		need(1, 'ID [TIMEOUT]');
		const timeout = Number(argv[1] || 10);
		await call(runtime, 'StopContainer', { container_id: argv[0], timeout }, (timeout + 60) * 1000);
	},
	async rm() {
		need(1, 'ID');
		await call(runtime, 'RemoveContainer', { container_id: argv[0] });
	},
	async status() {
		need(1, 'ID');
		printJSON(await call(runtime, 'ContainerStatus', { container_id: argv[0], verbose: true }));
	},
	async ps() {
		printJSON((await call(runtime, 'ListContainers', {})).containers);
	},
	async update() {
		need(2, 'ID RESOURCES.json');
		await call(runtime, 'UpdateContainerResources', {
			container_id: argv[0],
			linux: readJSON(argv[1]),
		});
	},
	async 'exec-sync'() {
		need(3, 'ID TIMEOUT CMD...');
		const timeout = Number(argv[1]);
		const res = await call(runtime, 'ExecSync', {
			container_id: argv[0],
			cmd: argv.slice(2),
			timeout,
		}, (timeout + 60) * 1000);
		process.stdout.write(res.stdout);
		process.stderr.write(res.stderr);
		process.exitCode = res.exit_code;
	},
};

if (!Object.hasOwn(commands, cmd)) die(`unknown command ${cmd}`);
commands[cmd]().then(() => {
	runtime.close();
	images.close();
});
