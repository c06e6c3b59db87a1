import type { DisputeType, SeaArea } from './cases.ts';

/** Chinese names used in documents and in the zh-CN interface alike. */
export const disputeTypeLabels: Record<DisputeType, string> = {
  collision: '船舶碰撞',
  injury_death: '海上人身伤亡',
  fishing_gear_damage: '网具损害',
  fishing_ground_conflict: '渔场作业纠纷',
  catch_price_sale: '渔获买卖价款',
  crew_wages: '船员劳务工资',
  vessel_sale_charter: '船舶买卖租赁',
  marine_insurance: '海上保险',
  other: '其他',
};

export const seaAreaLabels: Record<SeaArea, string> = {
  nanji_islands: '南麂列岛海域',
  qixing_islands: '七星列岛海域',
  taishan_islands: '台山列岛海域',
  wentai_fishing_ground: '温台渔场',
  mindong_fishing_ground: '闽东渔场',
  border_other: '浙闽交界其他海域',
};
