import { describe, expect, it } from 'vitest';
import { graphScopeOf } from '../../src/calendars/outlook/auth.js';

describe('graphScopeOf: the resource the client credentials token is asked for', () => {
  it('is the global Graph for graph.microsoft.com and for any host that is not a Microsoft Graph root (a simulator, a proxy)', () => {
    expect(graphScopeOf('https://graph.microsoft.com')).toBe('https://graph.microsoft.com/.default');
    expect(graphScopeOf('https://127.0.0.1:47803')).toBe('https://graph.microsoft.com/.default');
    expect(graphScopeOf('https://graph-proxy.corp.example')).toBe('https://graph.microsoft.com/.default');
  });

  it("is the national cloud's own Graph root there (graph/sdks/national-clouds.md)", () => {
    expect(graphScopeOf('https://graph.microsoft.us')).toBe('https://graph.microsoft.us/.default');
    expect(graphScopeOf('https://dod-graph.microsoft.us')).toBe('https://dod-graph.microsoft.us/.default');
    expect(graphScopeOf('https://microsoftgraph.chinacloudapi.cn')).toBe('https://microsoftgraph.chinacloudapi.cn/.default');
  });
});
