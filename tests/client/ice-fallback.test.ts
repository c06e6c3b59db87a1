import { describe, expect, it } from 'vitest';
import { IceFallback } from '../../client/src/room/ice-fallback.ts';

const turn = [{ urls: ['turns:turn.example.cn:443?transport=tcp'], username: '1796000000:peer', credential: 'c2VjcmV0' }];

describe('ICE options for the room transports', () => {
  it('without TURN from the server, transports get no ICE servers and keep the default policy', () => {
    const ice = new IceFallback();
    expect(ice.options([])).toEqual({});
    ice.transportFailed([]);
    expect(ice.options([])).toEqual({});
  });

  it('with TURN, every path is tried first; after a failed transport the relay only; after that failing too, every path again', () => {
    const ice = new IceFallback();
    expect(ice.options(turn)).toEqual({ iceServers: turn, iceTransportPolicy: 'all' });
    ice.transportFailed(turn);
    expect(ice.options(turn)).toEqual({ iceServers: turn, iceTransportPolicy: 'relay' });
    ice.transportFailed(turn);
    expect(ice.options(turn).iceTransportPolicy).toBe('all');
  });
});
