-- Yearly compensation figures are versioned: a row is never changed; a correction is a new version.
CREATE FUNCTION compensation_figures_immutable() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'compensation_figures rows are immutable: add a new version instead';
END;
$$ LANGUAGE plpgsql;
--> statement-breakpoint
CREATE TRIGGER compensation_figures_no_update_or_delete
  BEFORE UPDATE OR DELETE ON compensation_figures
  FOR EACH ROW EXECUTE FUNCTION compensation_figures_immutable();
--> statement-breakpoint
-- Zhejiang's figures that could be traced to a published source. The provincial bureau publishes
-- the per-capita figures in its yearly statistical bulletin and the average wage in a separate
-- release; the sources below are what these numbers were taken from. Fujian's are left for an
-- admin to add (none could be traced here).
INSERT INTO compensation_figures (province, year, version, urban_disposable_income_fen, urban_disposable_income_source, urban_consumption_fen, urban_consumption_source, average_wage_fen, average_wage_source) VALUES
('zhejiang', 2020, 1,
 6269900, '浙江省统计局 2020年度城镇居民人均可支配收入 62699元；浙江省高级人民法院《关于人身损害赔偿纠纷案件统一城乡居民赔偿标准的通知》（浙高法明传〔2021〕158号）据此计算残疾/死亡赔偿金（宁波地区另为68008元）。转引自 http://148hz.com/bxnews.asp?id=11157',
 3619700, '浙江省统计局 2020年度城镇居民人均消费支出 36197元；浙高法明传〔2021〕158号据此计算被扶养人生活费（宁波地区另为38702元）。转引自 http://148hz.com/bxnews.asp?id=11157',
 10864500, '浙江省统计局 2020年度非私营单位从业人员年平均工资 108645元（丧葬费 54322.5元）。转引自 http://148hz.com/bxnews.asp?id=11157'),
('zhejiang', 2022, 1,
 7126800, '浙江省统计局公布的 2022年度城镇居民人均可支配收入 71268元（宁波地区另为76690元）。转引自 http://mylsfw.com/falvzixun/123856.html；应以《2022年浙江省国民经济和社会发展统计公报》核对',
 4451100, '浙江省统计局公布的 2022年度城镇居民人均消费支出 44511元（宁波地区另为47916元）。转引自 http://mylsfw.com/falvzixun/123856.html；应以《2022年浙江省国民经济和社会发展统计公报》核对',
 12230900, '浙江省统计局公布的 2022年度非私营单位从业人员年平均工资 122309元。转引自 http://mylsfw.com/falvzixun/123856.html');
