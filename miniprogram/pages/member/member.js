const api = require('../../api/index.js');
const page = require('../../utils/page.js');
const format = require('../../utils/format.js');

Component({
  data: { member: {}, points: [], loading: true, error: '', needLogin: false },
  methods: {
    onLoad: function () {
      return this.reload();
    },
    reload: function () {
      return page.load(this, function () {
        return Promise.all([api.call('member'), api.call('memberPoints')]).then(function (answers) {
          const points = answers[1].results.map(function (p) {
            return Object.assign({}, p, { timeText: format.dateTime(p.created_at), deltaText: (p.delta > 0 ? '+' : '') + p.delta });
          });
          return { member: answers[0], points: points };
        });
      });
    }
  }
});
