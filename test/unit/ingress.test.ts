/** The gapless swap's pure rules: which port the target takes, the upstream it writes, the env it changes. */
import { envValue, nextPort, onPort, upstreamFile, withEnv } from '../../src/domain/ingress';

const front = { upstream: 'app', ports: [8001, 8101] as [number, number], portEnv: 'PORT' };

test('the target takes the port the running container is not on; with none running, the first', () => {
  expect(nextPort(front, 8001)).toBe(8101);
  expect(nextPort(front, 8101)).toBe(8001);
  expect(nextPort(front, undefined)).toBe(8001);
  expect(nextPort(front, 9999)).toBe(8001); // on neither (recorded before the ingress): the first
});

test('env entries are replaced in place or added, and read back exactly', () => {
  expect(withEnv(['A=1', 'PORT=8001', 'PORTS=x'], 'PORT', '8101')).toEqual(['A=1', 'PORT=8101', 'PORTS=x']);
  expect(withEnv(['A=1'], 'PORT', '8001')).toEqual(['A=1', 'PORT=8001']);
  expect(envValue(['PORTS=x', 'PORT=8001'], 'PORT')).toBe('8001');
  expect(envValue(['A=1'], 'PORT')).toBeUndefined();
});

test('one upstream block per upstream name, its services in name order; a health URL follows the port', () => {
  const ingress = {
    container: 'nginx',
    upstreamFile: '/etc/nginx/upstream.conf',
    configFile: '/etc/nginx/nginx.conf',
    services: {
      web: front,
      api: { ...front, ports: [8002, 8102] as [number, number] },
      admin: { ...front, upstream: 'admin' },
    },
  };
  const ports: Record<string, number> = { web: 8101, api: 8002, admin: 8001 };
  expect(upstreamFile(ingress, (s) => ports[s])).toBe(
    'upstream admin { server 127.0.0.1:8001; }\nupstream app { server 127.0.0.1:8002; server 127.0.0.1:8101; }\n',
  );
  expect(onPort('http://127.0.0.1:8001/health?x=1', 8101)).toBe('http://127.0.0.1:8101/health?x=1');
});
