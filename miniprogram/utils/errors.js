// 错误码 → 中文提示：唯一的一张表在 error-messages.json。
const table = require('./error-messages.json');

function messageFor(code) {
  if (code && Object.prototype.hasOwnProperty.call(table.messages, code)) {
    return table.messages[code];
  }
  if (code === 'network_error') {
    return table._network;
  }
  return table._fallback;
}

// 第一条字段错误（服务器已按中文返回），附在“填写有误”之后
function firstFieldError(fields) {
  if (!fields || typeof fields !== 'object') {
    return '';
  }
  const names = Object.keys(fields);
  for (let i = 0; i < names.length; i += 1) {
    let value = fields[names[i]];
    while (Array.isArray(value)) {
      value = value[0];
    }
    if (value && typeof value === 'object') {
      const nested = firstFieldError(value);
      if (nested) {
        return nested;
      }
    } else if (value) {
      return String(value);
    }
  }
  return '';
}

function errorText(err) {
  if (!err) {
    return table._fallback;
  }
  if (err.isApiError) {
    return err.message;
  }
  return table._fallback;
}

module.exports = { messageFor: messageFor, firstFieldError: firstFieldError, errorText: errorText };
