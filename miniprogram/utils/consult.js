// 在线问诊各页共用的一点东西：状态文字、消息的显示字段、图片地址、选图和逐张上传。
const config = require('../config.js');
const api = require('../api/index.js');
const format = require('./format.js');

const STATUS = {
  awaiting_payment: { text: '待支付', badge: 'tag-warn' },
  waiting: { text: '待医生回复', badge: 'tag-warn' },
  in_progress: { text: '问诊中', badge: '' },
  closed: { text: '已结束', badge: 'tag-muted' },
  rated: { text: '已评价', badge: 'tag-muted' },
  cancelled: { text: '已取消', badge: 'tag-muted' }
};
const OPEN = ['waiting', 'in_progress'];
const RECALL_MS = 2 * 60 * 1000; // 自己的消息 2 分钟内可撤回（以服务器为准）
const MAX_IMAGES = 9;
const REPORT_REASONS = [
  { value: 'abuse', label: '辱骂、骚扰' },
  { value: 'spam', label: '广告、垃圾信息' },
  { value: 'privacy', label: '泄露隐私' },
  { value: 'other', label: '其他' }
];

function statusText(status) {
  return (STATUS[status] || { text: status }).text;
}

function isOpen(status) {
  return OPEN.indexOf(status) >= 0;
}

// 服务器给的图片地址是以 / 开头的路径（签名、1 小时有效），<image src> 需要带上服务器地址
function imageUrl(url) {
  if (!url) {
    return '';
  }
  return /^\//.test(url) ? config.baseUrl.replace(/\/+$/, '') + url : url;
}

function stars(n) {
  let out = '';
  for (let i = 1; i <= 5; i += 1) {
    out += i <= n ? '★' : '☆';
  }
  return out;
}

function consultView(c) {
  const status = STATUS[c.status] || { text: c.status, badge: '' };
  return Object.assign({}, c, {
    statusText: status.text,
    badge: status.badge,
    feeText: c.fee ? format.yuan(c.fee) : '免费',
    createdText: format.dateTime(c.created_at),
    deadlineText: format.dateTime(c.reply_deadline),
    starsText: c.stars ? stars(c.stars) : '',
    open: isOpen(c.status),
    problemImages: (c.problem_images || []).map(function (img) {
      return Object.assign({}, img, { src: imageUrl(img.url) });
    })
  });
}

// party：我在这个问诊里是 patient 还是 doctor
function messageView(m, party, nowMs) {
  const mine = m.sender === party;
  const created = new Date(m.created_at).getTime();
  return Object.assign({}, m, {
    mine: mine,
    senderText: m.sender === 'doctor' ? '医生' : '患者',
    timeText: format.dateTime(m.created_at),
    src: m.image && !m.recalled ? imageUrl(m.image.url) : '',
    canRecall: mine && !m.recalled && nowMs - created < RECALL_MS
  });
}

// 从相册或相机选图，最多 count 张；取消时得到空数组
function chooseImages(count) {
  return new Promise(function (resolve) {
    wx.chooseMedia({
      count: count,
      mediaType: ['image'],
      sourceType: ['album', 'camera'],
      sizeType: ['compressed'],
      success: function (res) {
        resolve((res.tempFiles || []).map(function (f) { return f.tempFilePath; }));
      },
      fail: function () {
        resolve([]);
      }
    });
  });
}

// 一张张上传（服务器按顺序收图）；每张的进度和结果通过 onChange(index, {progress, done, error}) 告诉页面。
// 返回每张的结果：{path, ok, data | error}
function uploadEach(endpoint, params, paths, onChange) {
  const results = [];
  return paths.reduce(function (chain, path, index) {
    return chain.then(function () {
      onChange(index, { progress: 0, done: false, error: '' });
      return api.upload(endpoint, {
        params: params,
        filePath: path,
        onProgress: function (percent) {
          onChange(index, { progress: percent, done: false, error: '' });
        }
      }).then(function (data) {
        onChange(index, { progress: 100, done: true, error: '' });
        results.push({ path: path, ok: true, data: data });
      }, function (err) {
        const text = err && err.isApiError ? err.message : '上传失败';
        onChange(index, { progress: 0, done: false, error: text });
        results.push({ path: path, ok: false, error: text });
      });
    });
  }, Promise.resolve()).then(function () {
    return results;
  });
}

function actionSheet(items) {
  return new Promise(function (resolve) {
    wx.showActionSheet({
      itemList: items,
      success: function (res) {
        resolve(res.tapIndex);
      },
      fail: function () {
        resolve(-1);
      }
    });
  });
}

// 带输入框的确认框；取消得到 null
function prompt(title, placeholder) {
  return new Promise(function (resolve) {
    wx.showModal({
      title: title,
      editable: true,
      placeholderText: placeholder,
      success: function (res) {
        resolve(res.confirm ? (res.content || '') : null);
      },
      fail: function () {
        resolve(null);
      }
    });
  });
}

module.exports = {
  STATUS: STATUS,
  MAX_IMAGES: MAX_IMAGES,
  RECALL_MS: RECALL_MS,
  REPORT_REASONS: REPORT_REASONS,
  statusText: statusText,
  isOpen: isOpen,
  imageUrl: imageUrl,
  stars: stars,
  consultView: consultView,
  messageView: messageView,
  chooseImages: chooseImages,
  uploadEach: uploadEach,
  actionSheet: actionSheet,
  prompt: prompt
};
