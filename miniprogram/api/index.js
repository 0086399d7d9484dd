// 所有接口调用都经过这里：地址来自 config.js，接口清单来自 endpoints.json。
// 登录凭证（simplejwt 的 access/refresh）存在本地存储；access 过期时用 refresh 换一次再重试，
// 换不到就退出登录。服务器的错误（{"error": {"code", "message", "fields"}}）统一按错误码译成中文。
const config = require('../config.js');
const endpoints = require('./endpoints.json').endpoints;
const sockets = require('./endpoints.json').sockets || {};
const errors = require('../utils/errors.js');

const TOKEN_KEY = 'auth_tokens';

let refreshing = null; // 正在进行的刷新（并发请求共用一次）
let logoutHandler = null;

function ApiError(status, code, fields) {
  let message = errors.messageFor(code);
  if (code === 'invalid') {
    const detail = errors.firstFieldError(fields);
    if (detail) {
      message = message + '：' + detail;
    }
  }
  this.name = 'ApiError';
  this.isApiError = true;
  this.status = status;
  this.code = code;
  this.fields = fields || {};
  this.message = message;
  this.needLogin = status === 401;
}
ApiError.prototype = Object.create(Error.prototype);
ApiError.prototype.constructor = ApiError;

function getTokens() {
  const tokens = wx.getStorageSync(TOKEN_KEY);
  return tokens && tokens.access ? tokens : null;
}

function setTokens(tokens) {
  wx.setStorageSync(TOKEN_KEY, { access: tokens.access, refresh: tokens.refresh });
}

function clearTokens() {
  wx.removeStorageSync(TOKEN_KEY);
}

function isLoggedIn() {
  return getTokens() !== null;
}

// 退出登录时调用（app.js 用它回到登录页）
function onLogout(handler) {
  logoutHandler = handler;
}

function forceLogout() {
  clearTokens();
  if (logoutHandler) {
    logoutHandler();
  }
}

function newIdempotencyKey() {
  let key = Date.now().toString(36) + '-';
  for (let i = 0; i < 4; i += 1) {
    key += Math.random().toString(36).slice(2, 8);
  }
  return key;
}

function encode(value) {
  return encodeURIComponent(String(value));
}

function buildPath(name, template, params) {
  return template.replace(/\{(\w+)\}/g, function (match, key) {
    if (!params || params[key] === undefined || params[key] === null || params[key] === '') {
      throw new Error('接口 ' + name + ' 缺少路径参数 ' + key);
    }
    return encode(params[key]);
  });
}

function pickDeclared(name, what, declared, values) {
  const out = {};
  if (!values) {
    return out;
  }
  Object.keys(values).forEach(function (key) {
    if ((declared || []).indexOf(key) < 0) {
      throw new Error('接口 ' + name + ' 未声明' + what + ' ' + key + '（见 api/endpoints.json）');
    }
    if (values[key] !== undefined && values[key] !== null && values[key] !== '') {
      out[key] = values[key];
    }
  });
  return out;
}

function buildUrl(name, endpoint, params, query) {
  let url = config.baseUrl.replace(/\/+$/, '') + buildPath(name, endpoint.path, params);
  const picked = pickDeclared(name, '查询参数', endpoint.query, query);
  // 数组值重复同一个参数：status=a&status=b
  const parts = [];
  Object.keys(picked).forEach(function (key) {
    [].concat(picked[key]).forEach(function (value) {
      parts.push(encode(key) + '=' + encode(value));
    });
  });
  if (parts.length) {
    url += '?' + parts.join('&');
  }
  return url;
}

function send(options) {
  return new Promise(function (resolve, reject) {
    wx.request({
      url: options.url,
      method: options.method,
      data: options.data,
      header: options.header,
      timeout: options.timeout || config.timeout,
      success: function (res) {
        resolve(res);
      },
      fail: function () {
        reject(new ApiError(0, 'network_error'));
      }
    });
  });
}

function errorFrom(res) {
  const body = res.data && typeof res.data === 'object' ? res.data.error : null;
  if (body && body.code) {
    return new ApiError(res.statusCode, body.code, body.fields);
  }
  return new ApiError(res.statusCode, res.statusCode >= 500 ? 'server_error' : 'error');
}

function isExpiredToken(res) {
  const body = res.data && typeof res.data === 'object' ? res.data.error : null;
  return res.statusCode === 401 && !!body && body.code === 'token_not_valid';
}

// 用 refresh 换新的一对凭证；成功返回 true，服务器拒绝则退出登录并返回 false
function refreshTokens() {
  if (refreshing) {
    return refreshing;
  }
  const tokens = getTokens();
  if (!tokens || !tokens.refresh) {
    return Promise.resolve(false);
  }
  const endpoint = endpoints.tokenRefresh;
  refreshing = send({
    url: buildUrl('tokenRefresh', endpoint),
    method: endpoint.method,
    data: { refresh: tokens.refresh },
    header: { 'Content-Type': 'application/json', 'Accept-Language': 'zh-hans' }
  }).then(function (res) {
    if (res.statusCode >= 200 && res.statusCode < 300 && res.data && res.data.access) {
      setTokens({ access: res.data.access, refresh: res.data.refresh || tokens.refresh });
      return true;
    }
    forceLogout();
    return false;
  }).then(function (ok) {
    refreshing = null;
    return ok;
  }, function (err) {
    refreshing = null;
    throw err;
  });
  return refreshing;
}

// 带着凭证发一次请求（attempt 拿到请求头）；access 过期时用 refresh 换一次再重试，成功返回 data，否则抛 ApiError
function authorized(endpoint, attempt) {
  function once() {
    const header = { 'Accept-Language': 'zh-hans' };
    const tokens = getTokens();
    if (tokens) {
      header.Authorization = 'Bearer ' + tokens.access;
    }
    return attempt(header);
  }

  return once().then(function (res) {
    if (isExpiredToken(res) && getTokens()) {
      return refreshTokens().then(function (ok) {
        // 换不到新凭证：已退出登录；不需要登录的接口不带凭证再试一次
        return ok || endpoint.auth === false ? once() : res;
      });
    }
    return res;
  }).then(function (res) {
    if (res.statusCode >= 200 && res.statusCode < 300) {
      return res.data;
    }
    throw errorFrom(res);
  });
}

// 调用 endpoints.json 里的一个接口：call('doctorSessions', {params: {doctor_id: 3}, query: {clinic_type: 'expert'}})
// （options.timeout：这一次请求的超时毫秒数，默认 config.timeout）
function call(name, options) {
  const endpoint = endpoints[name];
  if (!endpoint) {
    return Promise.reject(new Error('未知接口 ' + name));
  }
  if (endpoint.file) {
    return Promise.reject(new Error('接口 ' + name + ' 上传文件，请用 upload'));
  }
  const opts = options || {};
  let url;
  let data;
  let extraHeaders;
  try {
    url = buildUrl(name, endpoint, opts.params, opts.query);
    data = endpoint.method === 'GET' ? undefined : pickDeclared(name, '字段', endpoint.body, opts.body);
    extraHeaders = pickDeclared(name, '请求头', endpoint.headers, opts.headers);
  } catch (err) {
    return Promise.reject(err);
  }

  return authorized(endpoint, function (header) {
    return send({
      url: url,
      method: endpoint.method,
      data: data,
      header: Object.assign({ 'Content-Type': 'application/json' }, header, extraHeaders),
      timeout: opts.timeout // 长轮询等得比默认超时久
    });
  });
}

function parseBody(data) {
  if (typeof data !== 'string') {
    return data;
  }
  try {
    return JSON.parse(data);
  } catch (err) {
    return data;
  }
}

// 上传一个文件（endpoints.json 里写了 "file": 表单字段名的接口，multipart）：
//   upload('consultProblemImage', {params: {consult_id: 3}, filePath: tmp, onProgress: function (percent) {}})
// 返回服务器的应答 data；错误与 call 一样是中文的 ApiError。
function upload(name, options) {
  const endpoint = endpoints[name];
  if (!endpoint || !endpoint.file) {
    return Promise.reject(new Error('未知的上传接口 ' + name));
  }
  const opts = options || {};
  let url;
  try {
    url = buildUrl(name, endpoint, opts.params);
  } catch (err) {
    return Promise.reject(err);
  }
  return authorized(endpoint, function (header) {
    return new Promise(function (resolve, reject) {
      const task = wx.uploadFile({
        url: url,
        filePath: opts.filePath,
        name: endpoint.file,
        formData: opts.formData || {},
        header: header,
        timeout: config.uploadTimeout || config.timeout,
        success: function (res) {
          resolve({ statusCode: res.statusCode, data: parseBody(res.data) });
        },
        fail: function () {
          reject(new ApiError(0, 'network_error'));
        }
      });
      if (task && opts.onProgress && task.onProgressUpdate) {
        task.onProgressUpdate(function (res) {
          opts.onProgress(res.progress);
        });
      }
    });
  });
}

// WebSocket 地址（endpoints.json 的 sockets）：http → ws，https → wss
function socketUrl(name, params) {
  const template = sockets[name];
  if (!template) {
    throw new Error('未知的 WebSocket ' + name);
  }
  return config.baseUrl.replace(/\/+$/, '').replace(/^http/, 'ws') + buildPath(name, template, params);
}

// 当前的 access（WebSocket 握手的 Authorization 用）；未登录为空字符串
function accessToken() {
  const tokens = getTokens();
  return tokens ? tokens.access : '';
}

// 登录接口（loginWechat / loginSms / loginPassword）：成功后保存凭证
function login(name, body) {
  return call(name, { body: body }).then(function (data) {
    setTokens(data);
    return data;
  });
}

function logout() {
  const tokens = getTokens();
  if (!tokens) {
    forceLogout();
    return Promise.resolve();
  }
  return call('logout', { body: { refresh: tokens.refresh } }).catch(function () {
    return null; // 服务器那边失败也照样在本机退出
  }).then(function () {
    forceLogout();
  });
}

module.exports = {
  call: call,
  upload: upload,
  socketUrl: socketUrl,
  accessToken: accessToken,
  refreshTokens: refreshTokens,
  login: login,
  logout: logout,
  isLoggedIn: isLoggedIn,
  onLogout: onLogout,
  newIdempotencyKey: newIdempotencyKey,
  ApiError: ApiError,
  TOKEN_KEY: TOKEN_KEY,
  endpoints: endpoints
  // 改约：call('appointmentReschedule', {params: {appointment_id}, body: {slot_id}})，返回预约详情（见 utils/reschedule.js）
};
