// 测试用的 wx：内存存储，wx.request 交给按“方法 路径”登记的假服务器，其余接口记录调用。
const path = require('path');
const simulate = require('miniprogram-simulate');

const ROOT = path.join(__dirname, '..', '..');

function createWx() {
  const storage = {};
  const routes = [];
  const calls = { request: [], navigateTo: [], redirectTo: [], reLaunch: [], switchTab: [], showToast: [] };
  let offline = false;
  const sockets = [];
  const media = { files: [], failUploads: {} };

  // 一个假的 SocketTask：测试用 open() / receive(frame) / serverClose(code) 扮演服务器
  function createSocket(options) {
    const handlers = { open: [], message: [], close: [], error: [] };
    const socket = {
      options: options,
      sent: [],
      closed: false,
      onOpen: function (cb) { handlers.open.push(cb); },
      onMessage: function (cb) { handlers.message.push(cb); },
      onClose: function (cb) { handlers.close.push(cb); },
      onError: function (cb) { handlers.error.push(cb); },
      send: function (o) { socket.sent.push(o.data); },
      close: function () {
        if (!socket.closed) {
          socket.closed = true;
          handlers.close.forEach(function (cb) { cb({ code: 1000, reason: '' }); });
        }
      },
      open: function () { handlers.open.forEach(function (cb) { cb({}); }); },
      receive: function (frame) {
        handlers.message.forEach(function (cb) { cb({ data: JSON.stringify(frame) }); });
      },
      serverClose: function (code) {
        if (!socket.closed) {
          socket.closed = true;
          handlers.close.forEach(function (cb) { cb({ code: code, reason: '' }); });
        }
      },
      error: function () { handlers.error.forEach(function (cb) { cb({ errMsg: 'socket error' }); }); }
    };
    return socket;
  }

  function record(name) {
    return function (options) {
      calls[name] = calls[name] || [];
      calls[name].push(options);
      if (options && options.success) {
        options.success({});
      }
    };
  }

  const wx = {
    getStorageSync: function (key) {
      return Object.prototype.hasOwnProperty.call(storage, key) ? storage[key] : '';
    },
    setStorageSync: function (key, value) {
      storage[key] = JSON.parse(JSON.stringify(value));
    },
    removeStorageSync: function (key) {
      delete storage[key];
    },
    request: function (options) {
      calls.request.push(options);
      setTimeout(function () {
        if (offline) {
          options.fail({ errMsg: 'request:fail' });
          return;
        }
        const url = new URL(options.url);
        const route = routes.filter(function (r) {
          return r.method === options.method && r.path === url.pathname;
        })[0];
        if (!route) {
          options.success({ statusCode: 404, data: { error: { code: 'not_found', message: 'Not found.', fields: {} } } });
          return;
        }
        // handler 可以返回 Promise（比如长轮询：过一会儿才应答）
        Promise.resolve(route.handler({ url: url, data: options.data, header: options.header })).then(function (answer) {
          options.success({ statusCode: answer[0], data: answer[1] });
        });
      }, 0);
    },
    connectSocket: function (options) {
      const socket = createSocket(options);
      sockets.push(socket);
      return socket;
    },
    // 上传：交给按“POST 路径”登记的假服务器（handler 收到 filePath、name、header），进度 50 → 100
    uploadFile: function (options) {
      calls.uploadFile = (calls.uploadFile || []).concat([options]);
      const progress = [];
      const task = { onProgressUpdate: function (cb) { progress.push(cb); } };
      setTimeout(function () {
        if (offline || media.failUploads[options.filePath]) {
          options.fail({ errMsg: 'uploadFile:fail' });
          return;
        }
        progress.forEach(function (cb) { cb({ progress: 50 }); });
        const url = new URL(options.url);
        const route = routes.filter(function (r) {
          return r.method === 'POST' && r.path === url.pathname;
        })[0];
        const answer = route
          ? route.handler({ url: url, filePath: options.filePath, name: options.name, formData: options.formData, header: options.header })
          : [404, { error: { code: 'not_found', message: 'Not found.', fields: {} } }];
        progress.forEach(function (cb) { cb({ progress: 100 }); });
        options.success({ statusCode: answer[0], data: JSON.stringify(answer[1]) });
      }, 0);
      return task;
    },
    chooseMedia: function (options) {
      calls.chooseMedia = (calls.chooseMedia || []).concat([options]);
      if (!media.files.length) {
        options.fail({ errMsg: 'chooseMedia:fail cancel' });
        return;
      }
      options.success({ type: 'image', tempFiles: media.files.slice(0, options.count).map(function (p) {
        return { tempFilePath: p, size: 1000, fileType: 'image' };
      }) });
    },
    previewImage: record('previewImage'),
    showActionSheet: function (options) {
      calls.showActionSheet = (calls.showActionSheet || []).concat([options]);
      // actionSheetAnswer：点第几项（数组：依次回答几次弹出的菜单）；不设为取消
      const answer = Array.isArray(wx.actionSheetAnswer) ? wx.actionSheetAnswer.shift() : wx.actionSheetAnswer;
      if (answer === undefined || answer === null) {
        options.fail({ errMsg: 'showActionSheet:fail cancel' });
      } else {
        options.success({ tapIndex: answer });
      }
    },
    navigateTo: record('navigateTo'),
    redirectTo: record('redirectTo'),
    reLaunch: record('reLaunch'),
    switchTab: record('switchTab'),
    navigateBack: record('navigateBack'),
    showToast: record('showToast'),
    setNavigationBarTitle: record('setNavigationBarTitle'),
    stopPullDownRefresh: record('stopPullDownRefresh'),
    makePhoneCall: record('makePhoneCall'),
    showModal: function (options) {
      calls.showModal = (calls.showModal || []).concat([options]);
      options.success({ confirm: wx.modalAnswer !== false, content: wx.modalContent || '' });
    },
    login: function (options) {
      options.success({ code: 'wx-login-code' });
    },
    requestPayment: function (options) {
      calls.requestPayment = (calls.requestPayment || []).concat([options]);
      options.success({ errMsg: 'requestPayment:ok' });
    },
    requestSubscribeMessage: function (options) {
      calls.requestSubscribeMessage = (calls.requestSubscribeMessage || []).concat([options]);
      const res = {};
      options.tmplIds.forEach(function (id) {
        res[id] = 'accept';
      });
      options.success(res);
    },
    createCanvasContext: function () {
      const ctx = { rects: [], fills: [] };
      ctx.setFillStyle = function (style) {
        ctx.fills.push(style);
      };
      ctx.fillRect = function (x, y, w, h) {
        ctx.rects.push([x, y, w, h]);
      };
      ctx.draw = function () {
        ctx.drawn = true;
      };
      calls.canvas = ctx;
      return ctx;
    }
  };

  return {
    wx: wx,
    storage: storage,
    calls: calls,
    sockets: sockets,
    media: media,
    // reply('GET', '/api/v1/hospitals/', (req) => [200, {...}])
    reply: function (method, pathname, handler) {
      const fn = typeof handler === 'function' ? handler : function () { return handler; };
      for (let i = routes.length - 1; i >= 0; i -= 1) {
        if (routes[i].method === method && routes[i].path === pathname) {
          routes.splice(i, 1);
        }
      }
      routes.push({ method: method, path: pathname, handler: fn });
    },
    setOffline: function (value) {
      offline = value;
    }
  };
}

// 装一个新的 wx，并重新加载小程序的模块（api 模块里有刷新中的状态）
function install() {
  const fake = createWx();
  global.wx = fake.wx;
  global.getCurrentPages = function () {
    return [{}];
  };
  jest.resetModules();
  return fake;
}

// 渲染页面（页面用 Component 构造器写成，simulate 可以直接加载）
function renderPage(name) {
  const id = simulate.load(path.join(ROOT, name), { compiler: 'simulate', rootPath: ROOT });
  const comp = simulate.render(id);
  comp.attach(document.createElement('parent-wrapper'));
  return comp;
}

function flush() {
  return new Promise(function (resolve) {
    setTimeout(resolve, 5);
  });
}

function text(comp, selector) {
  const node = comp.querySelector(selector);
  return node ? node.dom.textContent.trim() : null;
}

function error(code, status) {
  return [status || 400, { error: { code: code, message: 'english text', fields: {} } }];
}

module.exports = { install: install, renderPage: renderPage, flush: flush, text: text, error: error, ROOT: ROOT };
