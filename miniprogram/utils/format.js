// 金额以“分”为单位；时间是服务器给的带时区 ISO 字符串（北京时间），显示时直接取其中的日期和时刻。

function yuan(fen) {
  if (fen === null || fen === undefined || fen === '') {
    return '';
  }
  return '¥' + (Number(fen) / 100).toFixed(2);
}

function pad(n) {
  return n < 10 ? '0' + n : String(n);
}

const WEEKDAYS = ['周日', '周一', '周二', '周三', '周四', '周五', '周六'];

function datePart(iso) {
  return iso ? String(iso).slice(0, 10) : '';
}

function timePart(iso) {
  return iso ? String(iso).slice(11, 16) : '';
}

function dateTime(iso) {
  if (!iso) {
    return '';
  }
  return datePart(iso) + ' ' + timePart(iso);
}

function weekday(dateText) {
  const parts = String(dateText).split('-').map(Number);
  const day = new Date(Date.UTC(parts[0], parts[1] - 1, parts[2])).getUTCDay();
  return WEEKDAYS[day];
}

// 距 target 的倒计时文字；已到时返回空字符串
function countdown(targetIso, nowMs) {
  const left = Math.floor((new Date(targetIso).getTime() - nowMs) / 1000);
  if (!(left > 0)) {
    return '';
  }
  const days = Math.floor(left / 86400);
  const hours = Math.floor((left % 86400) / 3600);
  const minutes = Math.floor((left % 3600) / 60);
  const seconds = left % 60;
  const clock = pad(hours) + ':' + pad(minutes) + ':' + pad(seconds);
  return days > 0 ? days + '天 ' + clock : clock;
}

module.exports = {
  yuan: yuan,
  datePart: datePart,
  timePart: timePart,
  dateTime: dateTime,
  weekday: weekday,
  countdown: countdown
};
