const api = require('../../api/index.js');
const page = require('../../utils/page.js');
const format = require('../../utils/format.js');

const CLINIC_TYPES = [
  { value: '', label: '全部' },
  { value: 'expert', label: '专家门诊' },
  { value: 'specialist', label: '专科门诊' },
  { value: 'general', label: '普通门诊' }
];

// 一个出诊在此刻的状态：可约 / 候补 / 等放号（倒计时）/ 排队放号（进入排队，见 pages/release-queue），
// 会员的优先时段另行说明
function sessionView(s, nowMs, rescheduling) {
  const opensAt = new Date(s.can_book_from).getTime();
  const open = s.bookable_now || opensAt <= nowMs;
  let action = 'countdown';
  if (s.release_queue && !rescheduling) {
    action = 'queue';
  } else if (open) {
    action = s.remaining > 0 ? 'book' : 'waitlist';
  }
  let priorityText = '';
  if (opensAt < new Date(s.release_at).getTime()) {
    priorityText = '会员优先：' + format.dateTime(s.can_book_from) + ' 起可约（公开放号 ' + format.dateTime(s.release_at) + '）';
    if (s.priority_seats_left !== null && s.priority_seats_left !== undefined) {
      priorityText += '，会员优先号余 ' + s.priority_seats_left + ' 个';
    }
  }
  return Object.assign({}, s, {
    action: action,
    countdown: open ? '' : format.countdown(s.can_book_from, nowMs),
    priorityText: priorityText,
    feeText: format.yuan(s.fee)
  });
}

function groupByDate(sessions, nowMs, rescheduling) {
  const days = [];
  sessions.forEach(function (s) {
    let day = days.length ? days[days.length - 1] : null;
    if (!day || day.date !== s.date) {
      day = { date: s.date, weekday: format.weekday(s.date), sessions: [] };
      days.push(day);
    }
    day.sessions.push(sessionView(s, nowMs, rescheduling));
  });
  return days;
}

// 医生的在线问诊条件（未开通时服务器答 404：不显示入口；读不到也不影响出诊信息）
function consultOffer(doctorId) {
  return api.call('consultDoctorOffer', { params: { doctor_id: doctorId } }).then(function (offer) {
    return Object.assign({}, offer, { feeText: offer.fee ? format.yuan(offer.fee) : '免费' });
  }, function () {
    return null;
  });
}

Component({
  data: {
    doctor: {}, days: [], offer: null, clinicTypes: CLINIC_TYPES, clinicType: '', clinicTypeLabel: '', rescheduling: false,
    loading: true, error: '', needLogin: false
  },
  lifetimes: {
    detached: function () {
      this.stopTimer();
    }
  },
  methods: {
    onLoad: function (options) {
      this.doctorId = options.id;
      // 改约模式（utils/reschedule.js）：选的是要改到的出诊，约满的出诊不能候补
      this.rescheduleId = Number(options.reschedule) || 0;
      this.setData({ rescheduling: !!this.rescheduleId });
      return this.reload();
    },
    onUnload: function () {
      this.stopTimer();
    },
    reload: function () {
      const self = this;
      const id = self.doctorId;
      self.stopTimer();
      return page.load(self, function () {
        return Promise.all([
          api.call('doctorDetail', { params: { doctor_id: id } }),
          api.call('doctorSessions', { params: { doctor_id: id }, query: { clinic_type: self.data.clinicType } }),
          self.offerRead ? self.data.offer : consultOffer(id) // 换门诊类型时不必再读
        ]).then(function (answers) {
          self.sessions = answers[1].sessions;
          self.offerRead = true;
          return { doctor: answers[0], days: groupByDate(self.sessions, Date.now(), !!self.rescheduleId), offer: answers[2] };
        });
      }).then(function (ok) {
        if (ok) {
          self.startTimer();
        }
        return ok;
      });
    },
    onClinicType: function (e) {
      const value = e.currentTarget.dataset.value;
      const label = value ? CLINIC_TYPES.filter(function (t) { return t.value === value; })[0].label : '';
      this.setData({ clinicType: value, clinicTypeLabel: label });
      return this.reload();
    },
    startTimer: function () {
      const self = this;
      const waiting = (self.sessions || []).some(function (s) { return !s.bookable_now; });
      if (!waiting) {
        return;
      }
      self.timer = setInterval(function () {
        self.tick();
      }, 1000);
    },
    stopTimer: function () {
      if (this.timer) {
        clearInterval(this.timer);
        this.timer = null;
      }
    },
    // 每秒更新倒计时；有出诊到了放号时间就重新读取（余号以服务器为准）
    tick: function () {
      const now = Date.now();
      const opened = this.sessions.some(function (s) {
        return !s.bookable_now && new Date(s.can_book_from).getTime() <= now;
      });
      if (opened) {
        return this.reload();
      }
      this.setData({ days: groupByDate(this.sessions, now, !!this.rescheduleId) });
      return Promise.resolve(true);
    },
    onBook: function (e) {
      const mode = this.rescheduleId ? '&reschedule=' + this.rescheduleId : '';
      wx.navigateTo({ url: '/pages/slot/slot?session=' + e.currentTarget.dataset.id + mode });
    },
    onQueue: function (e) {
      wx.navigateTo({ url: '/pages/release-queue/index?session=' + e.currentTarget.dataset.id });
    },
    onConsult: function () {
      wx.navigateTo({ url: '/pages/consult/create?doctor=' + this.doctorId });
    },
    onWaitlist: function (e) {
      wx.navigateTo({ url: '/pages/confirm/confirm?waitlist=1&session=' + e.currentTarget.dataset.id });
    }
  }
});
