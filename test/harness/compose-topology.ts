/**
 * Running the shipped production topology (docker-compose.yml) on this machine: an engine without a
 * default bridge (every container on the host's network) and without an image registry. The Lifeline
 * image is made with `docker import` from the host's node and its shared libraries plus this checkout's
 * dist/, production node_modules and package.json; an override file (written here) adapts the services
 * that cannot run as shipped. See docs/SCALING.md, "Testing the topology".
 */
import Docker from 'dockerode';
import { execFile, execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  createReadStream,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { pack } from 'tar-stream';
import { stringify } from 'yaml';
import { ROOT } from './paths';

const run = promisify(execFile);

/** Tagged with the hash of what is in it: checkouts with the same dist/ and packages share one image. */
const LIFELINE_TEST_REPO = 'lifeline-test/lifeline';
/** Images of other inputs are removed once this old: a run that just checked one is not left without it. */
const STALE_IMAGE_SECONDS = 3600;

interface ImageFile {
  /** Path in the image, without the leading slash. */
  name: string;
  mode: number;
  /** Host file to copy; none for a directory, a symlink or generated content. */
  source?: string;
  content?: Buffer;
  type?: 'directory' | 'symlink';
  linkname?: string;
  size?: number;
}

/** The shared libraries a binary links against, as `ldd` resolves them (the loader included). */
function sharedLibraries(binary: string): string[] {
  return output('ldd', [binary])
    .split('\n')
    .map((l) => /(\/\S+) \(0x/.exec(l)?.[1])
    .filter((l): l is string => Boolean(l));
}

function output(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, {
      encoding: 'utf8',
      maxBuffer: 64 << 20,
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (err) {
    // `npm ls` exits 1 on problems it only reports (an extraneous package); its list is still complete.
    const stdout = (err as { stdout?: string }).stdout;
    if (stdout) return stdout;
    throw err;
  }
}

/** Every file under `dir` (symlinks kept as links), skipping nested node_modules (npm lists those itself). */
function walk(dir: string, skip: (abs: string) => boolean, out: string[] = []): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const abs = path.join(dir, entry.name);
    if (skip(abs)) continue;
    if (entry.isDirectory()) {
      if (entry.name === 'node_modules') continue;
      out.push(abs);
      walk(abs, skip, out);
    } else out.push(abs);
  }
  return out;
}

/** Package files no process loads: type declarations, TypeScript sources, source maps, docs (42 of 143 MB). */
const NOT_RUN = /(\.d\.[cm]?ts|\.[cm]?ts|\.map|\.md)$/;

/**
 * The production packages (`npm ls --omit=dev`, what `npm ci --omit=dev` installs in the Dockerfile),
 * less what cannot run here or is never loaded: @temporalio/core-bridge ships prebuilt binaries for five
 * platforms (137 MB) and the Rust sources of its core; only this platform's binary is kept.
 */
function productionModuleFiles(): string[] {
  const dirs = output('npm', ['ls', '--omit=dev', '--all', '--parseable'])
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith(path.join(ROOT, 'node_modules')));
  const platform = `${process.arch === 'x64' ? 'x86_64' : 'aarch64'}-unknown-linux-gnu`;
  const bridge = path.join(ROOT, 'node_modules/@temporalio/core-bridge');
  const skip = (abs: string) =>
    abs === path.join(bridge, 'sdk-core') ||
    (path.dirname(abs) === path.join(bridge, 'releases') && path.basename(abs) !== platform) ||
    path.basename(abs) === '.bin' ||
    NOT_RUN.test(abs);
  const files = new Set<string>();
  for (const dir of [...new Set(dirs)]) {
    files.add(dir);
    for (const f of walk(dir, skip)) files.add(f);
  }
  return [...files].sort();
}

function imageFiles(): ImageFile[] {
  const node = realpathSync(process.execPath);
  const distDir = path.join(ROOT, 'dist');
  if (!existsSync(path.join(distDir, 'worker/main.js')))
    throw new Error(`no ${distDir}/worker/main.js: build it first (npx tsc -p tsconfig.json)`);
  const modules = productionModuleFiles();
  const natives = modules.filter((f) => f.endsWith('.node'));
  const libs = [...new Set([node, ...natives].flatMap(sharedLibraries))].sort();
  const fromHost = (abs: string, name: string): ImageFile => {
    const st = lstatSync(abs);
    if (st.isDirectory()) return { name, mode: 0o755, type: 'directory' };
    if (st.isSymbolicLink()) return { name, mode: 0o777, type: 'symlink', linkname: readlinkSync(abs) };
    return { name, mode: st.mode & 0o777, source: abs, size: st.size };
  };
  const app = (abs: string) => fromHost(abs, path.join('app', path.relative(ROOT, abs)));
  const text = (name: string, s: string, mode = 0o644): ImageFile => ({ name, mode, content: Buffer.from(s) });
  const listed: ImageFile[] = [
    { name: 'tmp', mode: 0o1777, type: 'directory' },
    { name: 'etc', mode: 0o755, type: 'directory' },
    text('etc/passwd', 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n'),
    text('etc/group', 'root:x:0:\nnogroup:x:65534:\n'),
    // Names resolve from /etc/hosts first (extra_hosts), then DNS.
    text('etc/nsswitch.conf', 'hosts: files dns\n'),
    // At the path ldd names (the loader's search path), with the content of the file it links to.
    ...libs.map((f) => fromHost(realpathSync(f), f.slice(1))),
    fromHost(node, 'usr/local/bin/node'),
    app(path.join(ROOT, 'package.json')),
    app(distDir),
    ...walk(distDir, () => false).map(app),
    app(path.join(ROOT, 'fixtures')),
    ...walk(path.join(ROOT, 'fixtures'), () => false).map(app),
    ...modules.map(app),
  ];
  // Every parent folder before its files, each path once.
  const seen = new Set<string>();
  const files: ImageFile[] = [];
  for (const f of listed) {
    const parents: string[] = [];
    for (let d = path.dirname(f.name); d !== '.'; d = path.dirname(d)) parents.unshift(d);
    for (const d of parents)
      if (!seen.has(d)) {
        seen.add(d);
        files.push({ name: d, mode: 0o755, type: 'directory' });
      }
    if (seen.has(f.name)) continue;
    seen.add(f.name);
    files.push(f);
  }
  return files;
}

/** What decides the image: dist/ by content (tsc rewrites it unchanged), packages by size, the rest by size and mtime. */
function imageHash(files: ImageFile[], changes: string[]): string {
  const h = createHash('sha256').update(changes.join('\n'));
  for (const f of files) {
    h.update(`${f.name}\0${f.mode}\0${f.linkname ?? ''}\0`);
    if (f.content) h.update(f.content);
    else if (f.source?.startsWith(path.join(ROOT, 'dist'))) h.update(readFileSync(f.source));
    // Packages are installed per checkout (their mtimes differ); a file that changed changes its size.
    else if (f.source?.includes('/node_modules/')) h.update(`${f.size}`);
    else if (f.source) h.update(`${f.size}\0${lstatSync(f.source).mtimeMs}`);
  }
  return h.digest('hex').slice(0, 16);
}

/**
 * The Lifeline image of docker-compose.yml, as the Dockerfile would make it (WORKDIR /app, node on the
 * PATH, CMD the worker), imported from the host's files. Made only when no image has its inputs' hash;
 * images of other inputs go once stale. Returns the reference and what it took.
 */
export async function buildLifelineImage(
  docker: Docker,
): Promise<{ ref: string; built: boolean; files: number; bytes: number; ms: number }> {
  const started = Date.now();
  const files = imageFiles();
  const bytes = files.reduce((n, f) => n + (f.size ?? f.content?.length ?? 0), 0);
  const changes = ['WORKDIR /app', 'ENV PATH=/usr/local/bin:/usr/bin:/bin', 'CMD ["node", "dist/worker/main.js"]'];
  const hash = imageHash(files, changes);
  const ref = `${LIFELINE_TEST_REPO}:${hash}`;
  const result = (built: boolean) => ({ ref, built, files: files.length, bytes, ms: Date.now() - started });
  const exists = await docker
    .getImage(ref)
    .inspect()
    .then(
      () => true,
      () => false,
    );
  if (exists) return result(false);
  const tar = pack();
  const feed = (async () => {
    for (const f of files) {
      if (f.type === 'directory') tar.entry({ name: f.name, type: 'directory', mode: f.mode });
      else if (f.type === 'symlink') tar.entry({ name: f.name, type: 'symlink', linkname: f.linkname, mode: f.mode });
      else if (f.content) tar.entry({ name: f.name, mode: f.mode }, f.content);
      else
        await new Promise<void>((resolve, reject) => {
          const entry = tar.entry({ name: f.name, mode: f.mode, size: f.size }, (err) =>
            err ? reject(err) : resolve(),
          );
          createReadStream(f.source!).on('error', reject).pipe(entry);
        });
    }
    tar.finalize();
  })();
  const [repo, tag] = ref.split(':');
  const stream = await docker.importImage(
    tar as unknown as NodeJS.ReadableStream,
    {
      repo,
      tag,
      changes,
    } as object,
  );
  const progress: { error?: string }[] = await new Promise((resolve, reject) =>
    docker.modem.followProgress(stream, (err: Error | null, out: { error?: string }[]) =>
      err ? reject(err) : resolve(out),
    ),
  );
  await feed;
  const failed = progress.find((o) => o.error);
  if (failed) throw new Error(`docker import ${ref} failed: ${failed.error}`);
  // Earlier builds (another dist/): removed when stale and unused; an image a container uses stays.
  const stale = await docker.listImages({ filters: { reference: [LIFELINE_TEST_REPO] } });
  for (const image of stale)
    if (!image.RepoTags?.includes(ref) && image.Created < Date.now() / 1000 - STALE_IMAGE_SECONDS)
      await docker
        .getImage(image.Id)
        .remove()
        .catch(() => undefined);
  return result(true);
}

/** The secret files docker-compose.yml names, generated: an mTLS CA with frontend and client certificates, tokens, keys. */
export async function writeSecrets(dir: string): Promise<{ apiToken: string; webhookSecret: string }> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  // No argument holds a space: each command line is written as one string.
  const ssl = (args: string) => run('openssl', args.split(' '), { cwd: dir });
  const newKey = '-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes';
  await ssl(
    `req -x509 ${newKey} -keyout ca.key -out temporal_ca.pem -days 2 -subj /CN=lifeline-test-CA ` +
      '-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign',
  );
  const leaf = async (name: string, cn: string, ext: string[]) => {
    writeFileSync(path.join(dir, `${name}.ext`), `${ext.join('\n')}\n`);
    await ssl(`req ${newKey} -keyout ${name}.key -out ${name}.csr -subj /CN=${cn}`);
    await ssl(
      `x509 -req -in ${name}.csr -CA temporal_ca.pem -CAkey ca.key -CAcreateserial -days 2 -out ${name}.pem -extfile ${name}.ext`,
    );
  };
  const leafUsage = ['basicConstraints=CA:FALSE', 'keyUsage=critical,digitalSignature'];
  // The name the clients verify: TEMPORAL_TLS_SERVER_NAME in docker-compose.yml.
  await leaf('temporal_frontend', 'temporal-frontend', [
    'subjectAltName=DNS:temporal-frontend',
    'extendedKeyUsage=serverAuth',
    ...leafUsage,
  ]);
  await leaf('temporal_client', 'lifeline', ['extendedKeyUsage=clientAuth', ...leafUsage]);
  const apiToken = randomBytes(32).toString('base64url');
  const webhookSecret = randomBytes(32).toString('hex');
  // The format of src/codec/keys.ts: "<key id> <base64 of 32 bytes>".
  const codecKey = randomBytes(32);
  const keyId = `k-${createHash('sha256').update(codecKey).digest('hex').slice(0, 12)}`;
  const secret = (name: string, value: string) => writeFileSync(path.join(dir, name), value, { mode: 0o600 });
  secret('lifeline_api_token', `${apiToken}\n`);
  secret('lifeline_webhook_secret', `${webhookSecret}\n`);
  secret('lifeline_codec_keys', `${keyId} ${codecKey.toString('base64')}\n`);
  secret('postgres_password', `${randomBytes(16).toString('hex')}\n`);
  secret('github_token', 'unused-in-this-test\n');
  return { apiToken, webhookSecret };
}

/** The secret names of docker-compose.yml and the files writeSecrets() makes for them. */
export const SECRET_FILES: Record<string, string> = {
  postgres_password: 'postgres_password',
  github_token: 'github_token',
  lifeline_api_token: 'lifeline_api_token',
  lifeline_webhook_secret: 'lifeline_webhook_secret',
  lifeline_codec_keys: 'lifeline_codec_keys',
  temporal_ca: 'temporal_ca.pem',
  temporal_frontend_cert: 'temporal_frontend.pem',
  temporal_frontend_key: 'temporal_frontend.key',
  temporal_client_cert: 'temporal_client.pem',
  temporal_client_key: 'temporal_client.key',
};

export interface TopologyPorts {
  /** The load balancer (shipped: 127.0.0.1:8787). */
  lb: number;
  /** One API port and one claim port per replica (deploy/host-network/api-replica.js). */
  api: number[];
  apiClaims: number[];
  /** The mTLS listener standing in for temporal-frontend:7233. */
  frontend: number;
}

/**
 * The override that adapts docker-compose.yml to this machine. What it changes, and why:
 *  - every service that runs joins the host's network (no bridge here); names the services use for each
 *    other (temporal-frontend) resolve to 127.0.0.1 through extra_hosts;
 *  - postgresql, temporal-schema, temporal-backend: replicas 0. Their images cannot be pulled (no
 *    registry); the Temporal dev server of the test harness holds the state instead;
 *  - temporal-frontend: deploy/host-network/temporal-tls-frontend.js in the Lifeline image: the shipped
 *    mTLS listener (same secrets, same environment names) in front of that dev server;
 *  - temporal-ui and lifeline-lb: replicas 0, since docker-compose 1.29 refuses published `ports` on the
 *    host's network and an override cannot remove them. The load balancer runs as lifeline-lb-loopback
 *    instead: the shipped nginx config with loopback addresses (nginx from the fixture image);
 *  - lifeline-api: deploy/host-network/api-replica.js gives each replica its own port;
 *  - the Lifeline services use the imported image, the test's lifeline.yaml and its own task queue.
 */
export function writeOverride(opts: {
  dir: string;
  image: string;
  placeholderImage: string;
  nginxImage: string;
  configFile: string;
  secretsDir: string;
  temporalAddress: string;
  taskQueue: string;
  ports: TopologyPorts;
}): string {
  const { ports } = opts;
  const hostNet = { network_mode: 'host', extra_hosts: ['temporal-frontend:127.0.0.1'] };
  const notHere = { image: opts.placeholderImage, deploy: { replicas: 0 } };
  const helpers = `${path.join(ROOT, 'deploy/host-network')}:/opt/host-network:ro`;
  const lifeline = (environment: Record<string, string> = {}) => ({
    image: opts.image,
    ...hostNet,
    environment: {
      TEMPORAL_ADDRESS: `temporal-frontend:${ports.frontend}`,
      LIFELINE_TASK_QUEUE: opts.taskQueue,
      ...environment,
    },
    volumes: [`${opts.configFile}:/etc/lifeline/lifeline.yaml:ro`],
  });
  const lbDir = path.join(opts.dir, 'lb');
  mkdirSync(lbDir, { recursive: true });
  // The shipped load balancer config, its upstream and listen moved to loopback ports.
  const shipped = readFileSync(path.join(ROOT, 'deploy/nginx/lifeline-api.conf'), 'utf8');
  const upstream = ports.api.map((p) => `server 127.0.0.1:${p};`).join('\n  ');
  const conf = shipped
    .replace(/server lifeline-api:8787;/, upstream)
    .replace(/listen 8787;/, `listen 127.0.0.1:${ports.lb};`);
  if (conf === shipped || !conf.includes(upstream)) throw new Error('deploy/nginx/lifeline-api.conf changed shape');
  writeFileSync(path.join(lbDir, 'default.conf'), conf);
  // What the official nginx image's nginx.conf does: the server blocks come from conf.d.
  writeFileSync(
    path.join(lbDir, 'nginx.conf'),
    'user root;\nworker_processes 1;\npid /tmp/nginx.pid;\nerror_log stderr;\nevents { worker_connections 256; }\n' +
      'http {\n  access_log off;\n  include /etc/nginx/conf.d/*.conf;\n}\n',
  );
  const override = {
    services: {
      postgresql: notHere,
      'temporal-schema': notHere,
      'temporal-backend': notHere,
      'temporal-ui': notHere,
      'lifeline-lb': notHere,
      'temporal-frontend': {
        image: opts.image,
        ...hostNet,
        command: ['node', '/opt/host-network/temporal-tls-frontend.js'],
        environment: {
          TLS_FRONTEND_LISTEN: `127.0.0.1:${ports.frontend}`,
          TLS_FRONTEND_UPSTREAM: opts.temporalAddress,
        },
        volumes: [helpers],
        healthcheck: {
          test: ['CMD', 'node', '/opt/host-network/temporal-tls-frontend.js', 'check'],
          interval: '1s',
          timeout: '3s',
          retries: 30,
        },
      },
      'lifeline-orchestration': lifeline(),
      'lifeline-host': lifeline(),
      'lifeline-api': {
        ...lifeline({
          LIFELINE_API_HOST: '127.0.0.1',
          API_REPLICA_PORTS: ports.api.join(','),
          API_REPLICA_CLAIMS: ports.apiClaims.join(','),
        }),
        command: ['node', '/opt/host-network/api-replica.js'],
        volumes: [`${opts.configFile}:/etc/lifeline/lifeline.yaml:ro`, helpers],
      },
      'lifeline-lb-loopback': {
        image: opts.nginxImage,
        network_mode: 'host',
        depends_on: ['lifeline-api'],
        command: ['/usr/sbin/nginx', '-g', 'daemon off;'],
        volumes: [
          `${path.join(lbDir, 'default.conf')}:/etc/nginx/conf.d/default.conf:ro`,
          `${path.join(lbDir, 'nginx.conf')}:/etc/nginx/nginx.conf:ro`,
        ],
        restart: 'unless-stopped',
      },
    },
    secrets: Object.fromEntries(
      Object.entries(SECRET_FILES).map(([name, file]) => [name, { file: path.join(opts.secretsDir, file) }]),
    ),
  };
  const file = path.join(opts.dir, 'docker-compose.override.yml');
  writeFileSync(file, stringify(override, { aliasDuplicateObjects: false }));
  return file;
}
