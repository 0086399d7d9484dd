const path = require('path');
const simulate = require('miniprogram-simulate');
const h = require('./helpers/fake-wx.js');
const qr = require('../utils/qr.js');

function renderComponent(name, props) {
  const id = simulate.load(path.join(h.ROOT, name), { compiler: 'simulate', rootPath: h.ROOT });
  const comp = simulate.render(id, props);
  comp.attach(document.createElement('parent-wrapper'));
  return comp;
}

let fake;

beforeEach(() => {
  fake = h.install();
});

describe('state-view', () => {
  test('loading, error, empty and content', async () => {
    const comp = renderComponent('components/state-view/state-view', { loading: true });
    expect(comp.dom.textContent).toContain('加载中');
    comp.setData({ loading: false, error: '网络连接失败' });
    expect(comp.dom.textContent).toContain('网络连接失败');
    expect(comp.dom.textContent).toContain('重试');
    comp.setData({ error: '', empty: true, emptyText: '暂无预约' });
    expect(comp.dom.textContent.trim()).toBe('暂无预约');
    comp.setData({ empty: false });
    expect(comp.querySelector('.state-content')).toBeTruthy();
  });

  test('retry triggers an event; a login error offers the login page', async () => {
    const comp = renderComponent('components/state-view/state-view', { error: '出错了' });
    const retried = jest.fn();
    comp.addEventListener('retry', retried);
    comp.querySelector('.state-button').dispatchEvent('tap');
    await simulate.sleep(0);
    expect(retried).toHaveBeenCalled();

    comp.setData({ needLogin: true, error: '请先登录' });
    expect(comp.dom.textContent).toContain('去登录');
    comp.querySelector('.state-button').dispatchEvent('tap');
    await simulate.sleep(0);
    expect(fake.calls.navigateTo.map((c) => c.url)).toEqual(['/pages/login/login']);
  });
});

describe('qr-code', () => {
  test('the matrix has the three finder patterns of a QR code', () => {
    const rows = qr.matrix('CHECKIN-123456');
    const n = rows.length;
    expect(n).toBeGreaterThanOrEqual(21);
    expect((n - 17) % 4).toBe(0);
    [[0, 0], [0, n - 7], [n - 7, 0]].forEach(([r, c]) => {
      // 7x7 finder: dark border, light ring, dark 3x3 centre
      expect(rows[r][c + 3]).toBe(true);
      expect(rows[r + 1][c + 1]).toBe(false);
      expect(rows[r + 3][c + 3]).toBe(true);
    });
  });

  test('draws one square per dark module on the canvas', async () => {
    renderComponent('components/qr-code/qr-code', { text: 'CHECKIN-123456', size: 200 });
    await simulate.sleep(0);
    const ctx = fake.calls.canvas;
    const dark = qr.matrix('CHECKIN-123456').reduce((sum, row) => sum + row.filter(Boolean).length, 0);
    expect(ctx.rects).toHaveLength(1 + dark); // the white background, then the dark modules
    expect(ctx.fills).toEqual(['#ffffff', '#000000']);
    expect(ctx.drawn).toBe(true);
  });
});
